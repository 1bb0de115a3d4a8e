//! The IR's text form: what `vitc compile --emit ir` shows and what snapshot
//! tests compare. It prints and parses back:
//!
//! ```text
//! graph levit_128s {
//!   %0: f32[1,3,224,224] = input "input"
//!   %1: f32[16,3,3,3] = const @"stem.conv1.linear.weight"
//!   %2: i64[3] = const [1,196,128]
//!   %3: f32[1,16,112,112] = conv(%0, %1, _) {pads=[1,1,1,1], strides=[2,2]}
//!   return %3 "output"
//! }
//! ```
//!
//! Values are numbered in topological order. Constants of at most
//! [`INLINE_LIMIT`] elements are printed inline; larger ones refer to the
//! weight table by name, which the parser needs to resolve them. Node names
//! are not part of the text.

mod parse;
mod print;

pub use parse::{parse_attrs, parse_graph};
pub use print::print_graph;

/// Constants with at most this many elements are printed inline.
pub const INLINE_LIMIT: usize = 16;
