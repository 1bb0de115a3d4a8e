//! Prints the IR of a built-in architecture with seeded weights:
//! `cargo run -p vitc-arch --release --example print_ir -- levit_128s`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "levit_128s".to_string());
    let graph = vitc_arch::build(&name, None)?;
    print!("{}", vitc_ir::text::print_graph(&graph)?);
    Ok(())
}
