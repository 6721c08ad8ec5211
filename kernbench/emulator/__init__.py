"""A PTX emulator: CUDA and Triton kernels executed on the CPU, checked like compute-sanitizer.

It implements the PTX ISA, not any particular kernel: parse (:mod:`.ptx`), lower, and run a
launch with every thread's registers held as numpy arrays over lanes, warps and CTAs.
"""
