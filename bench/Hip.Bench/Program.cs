using Hip.Bench;

// Hip.Bench: HiP attention quality (quality, CPU) and attention, GEMM, mat-vec and end-to-end speed on a device
// (attention, flash, gemm, matvec, generate); each command prints JSON on stdout. `Hip.Bench COMMAND --help` lists a
// command's options and defaults. Eng/Hip.GpuRunner calls this entry point for `Hip.GpuRunner bench COMMAND ...`.
return BenchCommandLine.Run(args);
