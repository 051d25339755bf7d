//! Disjoint sets over `0..n` with path halving and union by index: the root of every set is
//! its smallest member, so the result does not depend on the order of the unions.

#[derive(Clone, Debug)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    /// Joins the sets of `a` and `b`; the smaller root becomes the root.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn root_is_smallest_member_whatever_the_order(mut edges in prop::collection::vec((0u32..40, 0u32..40), 0..60)) {
            let mut a = UnionFind::new(40);
            for &(x, y) in &edges { a.union(x, y); }
            edges.reverse();
            let mut b = UnionFind::new(40);
            for &(x, y) in &edges { b.union(y, x); }
            for i in 0..40 {
                let r = a.find(i);
                prop_assert_eq!(r, b.find(i));
                prop_assert!(r <= i);
            }
        }
    }
}
