//! Stores that put sealed chunks into a [`ChunkSpill`].

use super::*;

/// `n` alerts pushed into a store of `chunk` bytes spilling after `after`.
fn spilling(n: u64, chunk: usize, to: &Arc<MemorySpill>, after: usize) -> PackedAlerts {
    let mut p = PackedAlerts::with_chunk_bytes(chunk).spill_to(to.clone(), after);
    for i in 0..n {
        p.push(&alert(i));
    }
    p
}

/// Every way of reading gives `want`.
fn reads_back(p: &PackedAlerts, want: &[Alert]) {
    assert_eq!(p.iter().collect::<Vec<_>>(), want);
    let mut c = p.cursor();
    for i in (0..want.len()).rev() {
        assert_eq!(c.get(i), want[i]);
    }
    let idx: Vec<usize> = (0..want.len()).rev().step_by(7).collect();
    let got = p.get_many(&idx);
    assert_eq!(
        got,
        idx.iter().map(|&i| want[i].clone()).collect::<Vec<_>>()
    );
}

#[test]
fn a_store_spilling_from_the_start_holds_only_offsets_and_its_open_buffer() {
    let to = Arc::new(MemorySpill::default());
    let p = spilling(5000, 4096, &to, 0);
    let want: Vec<Alert> = (0..5000).map(alert).collect();
    reads_back(&p, &want);
    assert!(p.sealed_chunks() > 10);
    assert_eq!(p.spilled_bytes(), to.len());
    // The heap holds the offsets (4 bytes an alert), the chunk list and
    // the open buffer; no compressed chunk.
    let chunk_list = p.chunks.capacity() * std::mem::size_of::<Chunk>();
    assert_eq!(
        p.heap_bytes(),
        chunk_list + p.ends.capacity() * 4 + p.open.capacity()
    );
}

#[test]
fn a_store_spills_only_past_its_heap_budget() {
    let plain = spilling(5000, 4096, &Arc::new(MemorySpill::default()), usize::MAX);
    assert_eq!(plain.spilled_bytes(), 0);
    let to = Arc::new(MemorySpill::default());
    let budget = plain.heap_bytes() / 3;
    let p = spilling(5000, 4096, &to, budget);
    let want: Vec<Alert> = (0..5000).map(alert).collect();
    reads_back(&p, &want);
    // The heap took chunks until they reached the budget, then no more.
    assert!(p.sealed_bytes >= budget, "{} < {budget}", p.sealed_bytes);
    assert!(p.sealed_bytes < budget + 4096);
    assert!(p.spilled_bytes() > 0);
    assert_eq!(p.spilled_bytes() + p.sealed_bytes, plain.sealed_bytes);
}

#[test]
fn chunks_the_spill_refuses_stay_on_the_heap() {
    let to = Arc::new(MemorySpill::with_limit(20_000));
    let p = spilling(5000, 4096, &to, 0);
    let want: Vec<Alert> = (0..5000).map(alert).collect();
    reads_back(&p, &want);
    assert!(to.len() <= 20_000);
    assert!(p.spilled_bytes() > 0 && p.sealed_bytes > 0);
}

#[test]
fn a_store_put_in_order_spills_where_its_source_did() {
    let to = Arc::new(MemorySpill::default());
    let p = spilling(9000, 1024, &to, 0);
    let before = to.len();
    let mut order: Vec<u32> = (0..9000u32).filter(|i| i % 5 != 2).collect();
    order.sort_by_key(|&i| (i.wrapping_mul(2_654_435_761) % 1009, i));
    let want: Vec<Alert> = order.iter().map(|&i| alert(u64::from(i))).collect();
    let q = p.into_order(&order);
    reads_back(&q, &want);
    // The buckets and the result spilled too: nothing sealed on the heap.
    assert_eq!(q.sealed_bytes, 0);
    assert!(q.spilled_bytes() > 0);
    assert!(to.len() > before + q.spilled_bytes());
}

#[test]
fn appending_to_a_store_without_a_spill_takes_the_other_ones() {
    let to = Arc::new(MemorySpill::default());
    let mut a = PackedAlerts::with_chunk_bytes(1024);
    for i in 0..100 {
        a.push(&alert(i));
    }
    let b = spilling(0, 1024, &to, 0);
    let mut b = b;
    for i in 100..200 {
        b.push(&alert(i));
    }
    a.append(b);
    for i in 200..2000 {
        a.push(&alert(i));
    }
    let want: Vec<Alert> = (0..2000).map(alert).collect();
    reads_back(&a, &want);
    assert!(a.spilled_bytes() > 0);
    assert_eq!(a.spilled_bytes(), to.len());
}

#[test]
#[should_panic(expected = "spilled chunk 0 does not read back")]
fn a_chunk_that_does_not_read_back_panics_naming_it() {
    #[derive(Debug)]
    struct Forgetful;
    impl ChunkSpill for Forgetful {
        fn put(&self, _: &[u8]) -> Option<u64> {
            Some(0)
        }
        fn get(&self, _: u64, _: usize, _: &mut Vec<u8>) -> std::io::Result<()> {
            Err(std::io::ErrorKind::UnexpectedEof.into())
        }
    }
    let mut p = PackedAlerts::with_chunk_bytes(64).spill_to(Arc::new(Forgetful), 0);
    p.push(&alert(0));
    p.push(&alert(1));
    p.iter().for_each(drop);
}
