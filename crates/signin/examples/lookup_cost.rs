use haboob_model::FieldView;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let mut jsons = Vec::new();
    haboob_signin::read_evtx_events(std::path::Path::new(&path), &mut |_, raw, _| {
        jsons.push(raw.to_string())
    })
    .unwrap();
    let n = jsons.len();
    // render+head parse is done by the reader; here: WinView first lookup (parse) and repeated lookups.
    let t = Instant::now();
    let mut hits = 0;
    for j in &jsons {
        let v = haboob_model::WinView::new(j);
        if v.field("TargetUserName").is_some() {
            hits += 1;
        }
    }
    let first = t.elapsed().as_nanos() as f64 / n as f64;
    let views: Vec<_> = jsons
        .iter()
        .map(|j| {
            let v = haboob_model::WinView::new(j);
            v.field("EventID");
            v
        })
        .collect();
    let t = Instant::now();
    for _ in 0..10 {
        for v in &views {
            for f in [
                "TargetUserName",
                "LogonType",
                "Provider_Name",
                "CommandLine",
                "IpAddress",
            ] {
                if v.field(f).is_some() {
                    hits += 1;
                }
            }
        }
    }
    let each = t.elapsed().as_nanos() as f64 / (n * 50) as f64;
    let t = Instant::now();
    for j in &jsons {
        let _ = haboob_signin::evtx::parse_event(haboob_model::Ts(0), 1, j);
    }
    let head = t.elapsed().as_nanos() as f64 / n as f64;
    println!("{n} records, avg {} bytes: parse_event {head:.0} ns, first lookup (parse) {first:.0} ns, later lookup {each:.0} ns ({hits})", jsons.iter().map(|j| j.len()).sum::<usize>() / n);
}
