//! Seeded test data for scalot's tests, benchmarks and demo, the same points on every machine: one
//! generator (SplitMix64 with Box–Muller normals), the clouds the benchmark tables use, and synthetic
//! bilingual embeddings with a known rotation. A dev-dependency only; nothing here ships.

pub mod data;
pub mod embeddings;
