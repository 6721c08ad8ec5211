"""Pure parts of the Hopper (sm_90a) matrix machinery: wgmma descriptors, swizzles, operand and
accumulator layouts, the wgmma arithmetic, and tensor maps (TMA). No machine state here."""
