//! An emulator of the 1fichier API over real HTTP on loopback, for the demo, tests and benchmarks.
