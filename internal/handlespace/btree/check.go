package btree

import (
	"errors"
	"fmt"
)

// check verifies all invariants: ordering within and across nodes,
// separators, fill, equal leaf depth, the leaf chain, counts and sums.
func (t *tree[K, V]) check(weighted bool) error {
	if t.height == 0 {
		if t.root != nil || t.first != nil || t.spare != nil {
			return errors.New("nodes in a tree of height 0")
		}
		if len(t.small) != t.n || t.n > maxEntries {
			return fmt.Errorf("%d entries in a tree of height 0, Len is %d", len(t.small), t.n)
		}
		var sum uint64
		for i, e := range t.small {
			if i > 0 && !less(weighted, t.small[i-1].key, t.small[i-1].aux, e.key, e.aux) {
				return errors.New("entries out of order")
			}
			sum += uint64(e.aux)
		}
		var zero V
		for _, e := range t.small[len(t.small):cap(t.small)] {
			if e.val != zero {
				return errors.New("stale value behind the entries")
			}
		}
		if !weighted {
			sum = 0
		}
		if sum != t.sum {
			return fmt.Errorf("total weight %d, recount %d", t.sum, sum)
		}
		return nil
	}
	if t.small != nil || t.root == nil || t.root.n < 2 {
		return errors.New("bad root")
	}
	if s := t.spare; s != nil && (s.n != 0 || s.next != nil || *s != leaf[K, V]{keys: s.keys, aux: s.aux}) {
		return errors.New("spare leaf in use")
	}
	c := checker[K, V]{t: t, weighted: weighted}
	sum, err := c.inner(t.root, 0, true)
	if err != nil {
		return err
	}
	if c.last.next != nil {
		return errors.New("last leaf has a successor")
	}
	if c.count != t.n {
		return fmt.Errorf("counted %d entries, Len is %d", c.count, t.n)
	}
	if !weighted {
		sum = 0
	}
	if sum != t.sum {
		return fmt.Errorf("total weight %d, recount %d", t.sum, sum)
	}
	return nil
}

type checker[K Key, V comparable] struct {
	t        *tree[K, V]
	weighted bool
	count    int
	last     *leaf[K, V] // previous leaf in key order
	prevK    K
	prevA    uint32
}

func (c *checker[K, V]) leaf(l *leaf[K, V]) error {
	if l.n < minEntries && (l.next != nil || l.n == 0) || l.n > maxEntries {
		return fmt.Errorf("leaf with %d entries", l.n)
	}
	if c.last == nil {
		if c.t.first != l {
			return errors.New("first leaf is wrong")
		}
	} else if c.last.next != l {
		return errors.New("broken leaf chain")
	}
	for i := range l.n {
		if c.count > 0 && !less(c.weighted, c.prevK, c.prevA, l.keys[i], l.aux[i]) {
			return errors.New("entries out of order")
		}
		c.prevK, c.prevA = l.keys[i], l.aux[i]
		c.count++
	}
	var zero V
	for _, v := range l.vals[l.n:] {
		if v != zero {
			return errors.New("stale value in a leaf")
		}
	}
	c.last = l
	return nil
}

// inner checks the subtree at x (at depth d) and returns its weight sum.
func (c *checker[K, V]) inner(x *inner[K, V], d int, root bool) (uint64, error) {
	if !root && x.n < minKids || x.n > maxKids {
		return 0, fmt.Errorf("inner node with %d children", x.n)
	}
	var total uint64
	for i := range x.n {
		before := c.count
		sk, sa := x.keys[i], uint32(x.word[i])
		if i > 0 && !less(c.weighted, c.prevK, c.prevA, sk, sa) {
			return 0, errors.New("separator not above the left subtree")
		}
		var s uint64
		if d == c.t.height-1 {
			l := x.leaves[i]
			if l == nil || x.kids[i] != nil {
				return 0, errors.New("missing leaf")
			}
			if err := c.leaf(l); err != nil {
				return 0, err
			}
			s = l.sum()
		} else {
			k := x.kids[i]
			if k == nil || x.leaves[i] != nil {
				return 0, errors.New("missing inner node")
			}
			var err error
			if s, err = c.inner(k, d+1, false); err != nil {
				return 0, err
			}
		}
		if c.count == before {
			return 0, errors.New("empty subtree")
		}
		if i > 0 {
			// The subtree's first entry must not sort before the separator.
			first := c.firstOf(x, d, i)
			if less(c.weighted, first.key, first.aux, sk, sa) {
				return 0, errors.New("separator above its subtree")
			}
		}
		if c.weighted && s != x.word[i] {
			return 0, fmt.Errorf("child sum %d, recount %d", x.word[i], s)
		}
		total += s
	}
	for i := x.n; i < maxKids; i++ {
		if x.kids[i] != nil || x.leaves[i] != nil {
			return 0, errors.New("stale child pointer")
		}
	}
	return total, nil
}

// firstOf returns the first entry of child i of x at depth d.
func (c *checker[K, V]) firstOf(x *inner[K, V], d, i int) entry[K, V] {
	for ; d < c.t.height-1; d++ {
		x, i = x.kids[i], 0
	}
	l := x.leaves[i]
	return entry[K, V]{l.keys[0], l.aux[0], l.vals[0]}
}
