//! The names of the public C API of a generated library.

/// The API functions, without the `{prefix}_` in front.
pub const API_FUNCTIONS: [&str; 12] = [
    "create",
    "run",
    "destroy",
    "last_error",
    "input_rank",
    "input_dim",
    "input_len",
    "output_rank",
    "output_dim",
    "output_len",
    "max_batch",
    "name",
];

/// An unprefixed string symbol holding the prefix, so a loader can find the
/// API of a library without knowing the model's name. It is a weak symbol:
/// two models linked statically into one program do not clash (one value
/// wins there, which is harmless: use the prefixed API directly).
pub const PREFIX_SYMBOL: &str = "vitc_model_prefix";

/// Every exported symbol of a library with this prefix.
pub(crate) fn exported_symbols(prefix: &str) -> Vec<String> {
    API_FUNCTIONS.iter().map(|f| format!("{prefix}_{f}")).chain([PREFIX_SYMBOL.to_string()]).collect()
}
