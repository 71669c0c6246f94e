//! TEMPORARY stub of the simulator API (replaced at merge).
#![allow(missing_docs, clippy::all)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scenario {
    ElectionRecon,
    WebVolume,
}
impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::ElectionRecon => "election-recon",
            Scenario::WebVolume => "web-volume",
        }
    }
    pub fn all() -> &'static [Scenario] {
        &[Scenario::ElectionRecon, Scenario::WebVolume]
    }
}
impl std::str::FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scenario::all()
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown scenario {s}"))
    }
}
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub scenario: Scenario,
    pub days: u32,
    pub seed: u64,
    pub out: std::path::PathBuf,
    pub rate: u32,
    pub bytes: u64,
}
#[derive(Debug, Clone, Default)]
pub struct SimSummary {
    pub files: Vec<std::path::PathBuf>,
    pub lines: u64,
    pub bytes: u64,
    pub labels: u64,
}
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    #[error("io")]
    Io,
}
pub fn simulate(_opts: &SimOptions) -> Result<SimSummary, SimError> {
    unimplemented!()
}
