//! vitc's intermediate representation.
//!
//! A [`Graph`] holds typed ops ([`OpKind`] + [`Attrs`]) as `petgraph` nodes;
//! every output has a [`ValueType`] (dtype and shape, where the batch may be a
//! symbol). Weights live in a reference-counted side table ([`Weights`]).
//! [`infer`] gives every op its output types, [`verify`] checks a whole graph,
//! and [`text`] prints the graph in a form that parses back.

pub mod attr;
pub mod dim;
pub mod dot;
pub mod dtype;
pub mod error;
pub mod geometry;
pub mod graph;
pub mod infer;
pub mod limits;
pub mod npy;
pub mod op;
pub mod subgraph;
pub mod tensor;
pub mod text;
pub mod verify;

pub use attr::{Attr, Attrs};
pub use dim::{Dim, Shape};
pub use dtype::DType;
pub use error::{IrError, IrResult};
pub use graph::{Graph, Node, NodeId, Value, ValueType, Weight, WeightId, Weights};
pub use ndarray;
pub use op::OpKind;
pub use tensor::Tensor;
