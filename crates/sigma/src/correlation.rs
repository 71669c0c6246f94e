//! Sigma correlation rules (`event_count`, `value_count`, `temporal`,
//! `temporal_ordered`), windowed per group key with bounded memory.
