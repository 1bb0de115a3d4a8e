//! The polynomial coefficients the backends' vectorised elementary functions
//! share (Cephes `expf`, `logf` and `tanhf`), highest power first, in `f64`
//! (each backend rounds them to its own constants).

/// `exp(r) ≈ 1 + r + r²·P(r)` on `|r| ≤ ln2/2` (Cephes `expf`).
pub const EXP_P: [f64; 6] = [
    1.987_569_150_0e-4,
    1.398_199_950_7e-3,
    8.333_451_907_3e-3,
    4.166_579_589_4e-2,
    1.666_666_545_9e-1,
    5.000_000_120_1e-1,
];

/// `log(1 + m) ≈ m − m²/2 + m³·P(m)` on `[√½ − 1, √2 − 1)` (Cephes `logf`).
pub const LOG_P: [f64; 9] = [
    7.037_683_629_2e-2,
    -1.151_461_031_0e-1,
    1.167_699_874_0e-1,
    -1.242_014_084_6e-1,
    1.424_932_278_7e-1,
    -1.666_805_766_5e-1,
    2.000_071_476_5e-1,
    -2.499_999_399_3e-1,
    3.333_333_117_4e-1,
];

/// `tanh(x) ≈ x + x³·P(x²)` on `|x| < 0.625` (Cephes `tanhf`).
pub const TANH_P: [f64; 5] =
    [-5.704_988_727_45e-3, 2.063_908_879_54e-2, -5.373_971_555_31e-2, 1.333_144_220_36e-1, -3.333_328_194_22e-1];
