//! vitc CLI.
fn main() {}
