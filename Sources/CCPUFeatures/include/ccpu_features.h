// CPU feature detection for the CNN engine's kernel dispatch (explained in
// Sources/NeuralNetwork/KernelChoice.swift): cpuid plus xgetbv, which Swift cannot
// issue itself. Only the x86-64 micro-architecture levels the kernel modules are
// compiled for are reported.
#pragma once

/// 0: none of the levels below (any other CPU, or not x86-64);
/// 3: x86-64-v3 (AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE) with the OS saving the YMM state;
/// 4: x86-64-v4 (v3 plus AVX-512 F/BW/CD/DQ/VL) with the OS saving the opmask and ZMM state.
int ccpu_x86_64_level(void);
