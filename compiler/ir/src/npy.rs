//! npy.
