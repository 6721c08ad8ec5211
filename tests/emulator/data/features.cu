// PTX features the ladder kernels do not use, for the parser's fixtures (make_fixtures.py):
// module-scope variables with initializers, a non-inlined device function (call sequences
// with .param scopes), printf (an .extern .func), a function pointer (indirect call with a
// prototype), a dense switch (brx.idx over .branchtargets), a local array (.local depot),
// inline asm with its own scopes, labels and registers, static shared memory.
#include <cstdio>

__constant__ float table[4] = {1.0f, 2.0f, 0.5f, -3.0f};
__device__ int counters[2][3] = {{1, 2, 3}, {4, 5, 6}};
__device__ double scale = 0.25;
__device__ float4 vec4;
__device__ int *where = &counters[1][0];

__device__ __noinline__ float twice(float x) { return 2.0f * x + table[1]; }

__device__ __noinline__ int add3(int a, int b, int c) { return a + b + c; }
__device__ __noinline__ int sub3(int a, int b, int c) { return a - b - c; }

typedef int (*op3)(int, int, int);
__device__ op3 ops[2] = {add3, sub3};

__device__ __noinline__ void trap_if(int bad) {
    if (bad) __trap();
}

__device__ unsigned wait_parity(unsigned long long *bar, unsigned parity) {
    unsigned ok;
    asm volatile(
        "{\n"
        ".reg .pred P1;\n"
        ".reg .b32 %%r<2>;\n"
        "LAB_WAIT:\n"
        "mbarrier.try_wait.parity.shared::cta.b64 P1, [%1], %2;\n"
        "@P1 bra DONE;\n"
        "bra LAB_WAIT;\n"
        "DONE:\n"
        "selp.u32 %0, 1, 0, P1;\n"
        "}\n"
        : "=r"(ok)
        : "r"((unsigned)__cvta_generic_to_shared(bar)), "r"(parity));
    return ok;
}

// A jump table in inline asm: nvcc lowers small switches to compare chains.
__device__ int jump(int i) {
    int r;
    asm volatile(
        "{\n"
        ".reg .pred %%p<2>;\n"
        "setp.gt.u32 %%p1, %1, 2;\n"
        "@%%p1 bra $Ldefault;\n"
        "$Ltable: .branchtargets $Lzero, $Lone, $Ltwo;\n"
        "brx.idx %1, $Ltable;\n"
        "$Lzero: mov.b32 %0, 10; bra.uni $Ldone;\n"
        "$Lone: mov.b32 %0, 0x0b; bra.uni $Ldone;\n"
        "$Ltwo: mov.b32 %0, 014; bra.uni $Ldone;\n"
        "$Ldefault: mov.b32 %0, -1;\n"
        "$Ldone:\n"
        "}\n"
        : "=r"(r)
        : "r"(i));
    return r;
}

extern "C" __global__ void __launch_bounds__(128, 2)
features(float *out, const int *in, int n, int which) {
    __shared__ float tile[2][64];
    __shared__ unsigned long long bar;
    float local[16];
    int t = threadIdx.x;
    for (int i = 0; i < 16; ++i) local[i] = in[(t + i) % n];
    tile[t / 64][t % 64] = local[in[t] & 15];
    __syncthreads();
    float v = twice(tile[(t + 1) / 64 % 2][(t + 1) % 64]);
    switch (in[t] & 7) {
        case 0: v += 1.0f; break;
        case 1: v *= 3.0f; break;
        case 2: v -= 7.0f; break;
        case 3: v = -v; break;
        case 4: v += scale; break;
        case 5: v *= table[3]; break;
        case 6: v = v * v; break;
        default: break;
    }
    v += ops[which & 1](t, n, which);
    if (t == 0) printf("n=%d v=%f\n", n, v);
    v += wait_parity(&bar, 0) + *where + vec4.x;
    v += jump(in[t] & 3);
    trap_if(n < 0);
    out[blockIdx.x * blockDim.x + t] = v;
}
