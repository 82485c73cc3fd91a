/**
 * The AArch64 CPU (Arm ARM DDI 0487) for the {@code tcg} accelerator: EL0 and EL1 of the
 * non-secure state, no EL2/EL3 (HVC/SMC go to the board's {@link org.jqemu.target.arm.FirmwareCallHandler}).
 *
 * <p>Map: {@link org.jqemu.target.arm.Aarch64Cpu} holds the architectural state, the execute
 * loop, interrupt inputs and exception entry/return, and is the contract with the board;
 * {@code A64Executor} builds blocks of instruction words keyed by guest-physical address in
 * accel/tcg's {@code BlockCache} (invalidated through the machine's {@code CodePageMap}) and runs
 * them through {@code A64Interpreter} (integer, loads/stores, exclusives and LSE atomics,
 * branches, system instructions) and {@code A64Simd} (FP and Advanced SIMD); {@code A64Mmu} is
 * the stage-1 translation with its softmmu TLB; {@code A64SysRegs} the system registers and the
 * AT/DC/IC/TLBI operations; {@code GenericTimer} the per-CPU generic timer; {@code GuestAtomics}
 * the host compare-and-set behind exclusives and atomics shared by all vCPU threads.
 *
 * <p>Tests: tests/programs/arm64 holds assembler programs whose UART output was recorded from
 * Debian's qemu-system-aarch64 ({@code ProgramsTest} runs them on a bare rig).
 */
package org.jqemu.target.arm;
