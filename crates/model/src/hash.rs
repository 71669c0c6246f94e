//! Stable content hashing for reproducible ids (alert and campaign ids must
//! not drift between runs or Rust versions, so `std`'s hasher is not used).

/// 64-bit FNV-1a, stable across platforms and releases.
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    /// Feed bytes.
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    /// Feed a field followed by a separator, so `("ab","c")` ≠ `("a","bc")`.
    pub fn field(&mut self, s: &str) -> &mut Self {
        self.write(s.as_bytes()).write(&[0xff])
    }
    /// The hash value.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// A short hex id derived from the given parts, e.g. `content_id("a", &[..])`.
pub fn content_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Fnv64::default();
    for p in parts {
        h.field(p);
    }
    format!("{prefix}-{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable_and_field_separated() {
        assert_eq!(Fnv64::default().write(b"a").finish(), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(content_id("x", &["ab", "c"]), content_id("x", &["a", "bc"]));
        assert_eq!(content_id("x", &["ab"]), content_id("x", &["ab"]));
    }
}
