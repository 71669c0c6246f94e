//! A small bounded connection pool: connections are opened on demand up
//! to a maximum, handed out one caller at a time, and returned on drop
//! (broken ones are dropped instead).

use crate::db::Conn;
use std::sync::{Condvar, Mutex, MutexGuard};

type Opener = dyn Fn() -> Result<Box<dyn Conn>, String> + Send + Sync;

pub(crate) struct Pool {
    open: Box<Opener>,
    max: usize,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Box<dyn Conn>>,
    /// Connections in existence (idle or lent).
    open: usize,
}

impl Pool {
    pub(crate) fn new(max: usize, open: Box<Opener>) -> Pool {
        Pool {
            open,
            max: max.max(1),
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the counts usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection, waiting for one to be returned when `max` are lent.
    pub(crate) fn get(&self) -> Result<Lease<'_>, String> {
        let mut st = self.lock();
        loop {
            if let Some(c) = st.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    conn: Some(c),
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                return match (self.open)() {
                    Ok(c) => Ok(Lease {
                        pool: self,
                        conn: Some(c),
                    }),
                    Err(e) => {
                        self.lock().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            st = self.freed.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A lent connection; goes back to the pool on drop.
pub(crate) struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Box<dyn Conn>>,
}

impl Lease<'_> {
    pub(crate) fn conn(&mut self) -> &mut dyn Conn {
        match self.conn.as_mut() {
            Some(c) => c.as_mut(),
            None => unreachable!("a lease holds its connection until dropped"),
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(mut c) = self.conn.take() else {
            return;
        };
        let healthy = c.healthy();
        let mut st = self.pool.lock();
        if healthy {
            st.idle.push(c);
        } else {
            st.open -= 1;
        }
        drop(st);
        self.pool.freed.notify_one();
    }
}
