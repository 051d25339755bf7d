//! Checks for size and count arguments, fallible allocation, and bounded thread pools.
//!
//! Sizes reach the core straight from Python (`ranks=10**12`, `bins=2**40`, `threads=100000`).
//! Left alone, such a value asks the allocator for terabytes (it aborts the interpreter), wraps
//! around in a product, or starts a loop or a thread pool that never finishes. Every size
//! argument therefore goes through one of these helpers before it is used, and comes back as
//! an [`Error::Argument`] that names the argument, its value, the limit and the fix.

use crate::error::{Error, Result};

/// Most worker threads a call may ask for. Far above any core count xlrm is run on; beyond it
/// a pool only costs memory (a stack per thread) and start-up time, and at 10⁵ threads the
/// start-up alone takes minutes. `threads=0` uses every core, whatever their number.
pub const MAX_THREADS: usize = 1024;

/// `value` if it lies in `min..=max`, else an error naming `name`; `unit` says what is counted
/// ("ranks", "bins") and `fix` how to choose a valid value.
pub fn in_range(
    name: &'static str,
    value: usize,
    min: usize,
    max: usize,
    unit: &str,
    fix: &str,
) -> Result<usize> {
    if value < min || value > max {
        return Err(Error::Argument {
            name,
            message: format!("{value} {unit} is outside the supported range {min} to {max}; {fix}"),
        });
    }
    Ok(value)
}

/// `a × b`, or an error naming `name` when the product does not fit a `usize`.
pub fn product(name: &'static str, a: usize, b: usize, what: &str) -> Result<usize> {
    a.checked_mul(b).ok_or_else(|| Error::Argument {
        name,
        message: format!("{what} = {a} × {b} overflows a 64-bit count; lower `{name}`"),
    })
}

/// Bytes as GiB, for messages.
fn gib(bytes: u128) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// A `len`-element vector of `value`, or an error (not an abort) when the memory is not
/// there. `what` names the buffer and `fix` says which argument to lower.
pub fn filled<T: Clone>(
    len: usize,
    value: T,
    name: &'static str,
    what: &str,
    fix: &str,
) -> Result<Vec<T>> {
    let bytes = len as u128 * std::mem::size_of::<T>() as u128;
    let fail = || Error::Argument {
        name,
        message: format!(
            "cannot allocate {what} ({len} entries, {:.1} GiB); {fix}",
            gib(bytes)
        ),
    };
    // `try_reserve_exact` already refuses sizes above `isize::MAX` bytes; the explicit check
    // keeps that promise visible and independent of the standard library's wording.
    if bytes > isize::MAX as u128 {
        return Err(fail());
    }
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| fail())?;
    v.resize(len, value);
    Ok(v)
}

/// Runs `f` on a pool of `threads` worker threads (0: the global pool, one per core).
/// The result does not depend on the count; only the time does.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    if threads == 0 {
        return f();
    }
    in_range(
        "threads",
        threads,
        0,
        MAX_THREADS,
        "threads",
        "pass 0 to use every core, or a count up to the number of cores",
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Argument {
            name: "threads",
            message: format!(
                "cannot start {threads} threads ({e}); pass 0 to use every core, or fewer threads"
            ),
        })?;
    pool.install(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: Error) -> (&'static str, String) {
        match e {
            Error::Argument { name, message } => (name, message),
            other => panic!("expected an argument error, got {other:?}"),
        }
    }

    #[test]
    fn range_errors_name_the_argument_value_and_limit() {
        assert_eq!(in_range("bins", 5, 1, 10, "bins", "fix").unwrap(), 5);
        let (name, m) = message(in_range("bins", 11, 1, 10, "bins", "lower it").unwrap_err());
        assert_eq!(name, "bins");
        assert!(
            m.contains("11 bins") && m.contains("1 to 10") && m.contains("lower it"),
            "{m}"
        );
        assert!(in_range("bins", 0, 1, 10, "bins", "").is_err());
    }

    #[test]
    fn products_that_overflow_are_errors() {
        assert_eq!(product("bands", 16, 8, "bands × rows").unwrap(), 128);
        let (name, m) = message(product("bands", 1 << 32, 1 << 32, "bands × rows").unwrap_err());
        assert_eq!(name, "bands");
        assert!(m.contains("overflows"), "{m}");
        assert!(product("bands", usize::MAX, 2, "x").is_err());
    }

    #[test]
    fn impossible_allocations_are_errors_not_aborts() {
        assert_eq!(
            filled(3, 7u32, "n", "a buffer", "fix").unwrap(),
            vec![7, 7, 7]
        );
        // More bytes than the address space: refused before the allocator is asked.
        let (name, m) = message(
            filled(usize::MAX / 2, 0u64, "bins", "the histograms", "lower bins").unwrap_err(),
        );
        assert_eq!(name, "bins");
        assert!(
            m.contains("cannot allocate the histograms") && m.contains("lower bins"),
            "{m}"
        );
        // Representable, but far more than any machine has (2^60 bytes): the allocator says no.
        assert!(filled(1usize << 57, 0u64, "dim", "a matrix", "fix").is_err());
    }

    #[test]
    fn thread_counts_are_bounded() {
        assert_eq!(with_threads(0, || Ok(5)).unwrap(), 5);
        assert_eq!(
            with_threads(2, || Ok(rayon::current_num_threads())).unwrap(),
            2,
            "the pool has the requested size"
        );
        let inner = || -> Result<()> { Err(in_range("x", 2, 0, 1, "x", "").unwrap_err()) };
        assert_eq!(message(with_threads(2, inner).unwrap_err()).0, "x");
        let (name, m) = message(with_threads(100_000, || Ok(())).unwrap_err());
        assert_eq!(name, "threads");
        assert!(m.contains("100000 threads") && m.contains("1024"), "{m}");
    }
}
