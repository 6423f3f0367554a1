package btree

// Cursor is a position in a tree. It stays valid only while the tree is not
// changed (except through Set.Rewrite, which keeps positions).
type Cursor[K Key, V comparable] struct {
	l *leaf[K, V]   // nil in a tree of height 0
	s []entry[K, V] // the entries of a tree of height 0
	i int
}

// Valid reports whether the cursor is at an entry.
func (c *Cursor[K, V]) Valid() bool { return c.l != nil || c.i < len(c.s) }

// Key returns the key of the entry at the cursor.
func (c *Cursor[K, V]) Key() K {
	if c.l != nil {
		return c.l.keys[c.i]
	}
	return c.s[c.i].key
}

// Extra returns the extra word of the entry at the cursor: its tie in a
// Set, its weight in a Weighted tree.
func (c *Cursor[K, V]) Extra() uint32 {
	if c.l != nil {
		return c.l.aux[c.i]
	}
	return c.s[c.i].aux
}

// Value returns the value of the entry at the cursor.
func (c *Cursor[K, V]) Value() V {
	if c.l != nil {
		return c.l.vals[c.i]
	}
	return c.s[c.i].val
}

// Next moves the cursor to the following entry or makes it invalid.
func (c *Cursor[K, V]) Next() {
	c.i++
	if c.l != nil && c.i >= c.l.n {
		c.l, c.i = c.l.next, 0
	}
}

func (t *tree[K, V]) firstCursor() Cursor[K, V] {
	if t.height == 0 {
		return Cursor[K, V]{s: t.small}
	}
	return Cursor[K, V]{l: t.first}
}

// seek returns a cursor at the first entry that does not sort before
// (k, a), or with strict, after it.
func (t *tree[K, V]) seek(weighted bool, k K, a uint32, strict bool) Cursor[K, V] {
	l, i, ok := t.find(weighted, k, a)
	if ok && strict {
		i++
	}
	if l == nil {
		return Cursor[K, V]{s: t.small, i: i}
	}
	if i >= l.n {
		return Cursor[K, V]{l: l.next}
	}
	return Cursor[K, V]{l: l, i: i}
}

// setWeight changes the extra word of the entry with key k (Weighted only).
func (t *tree[K, V]) setWeight(k K, w uint32) (old uint32, ok bool) {
	if t.height == 0 {
		i := t.lowerSmall(true, k, 0)
		if i >= len(t.small) || t.small[i].key != k {
			return 0, false
		}
		old, t.small[i].aux = t.small[i].aux, w
		t.sum += uint64(w) - uint64(old)
		return old, true
	}
	var p path[K, V]
	l := t.descend(true, k, 0, &p)
	i := l.lower(true, k, 0)
	if i >= l.n || l.keys[i] != k {
		return 0, false
	}
	old, l.aux[i] = l.aux[i], w
	t.addSums(&p, uint64(w)-uint64(old))
	return old, true
}

// pick returns the entry whose range of cumulative weights, in key order,
// contains r, and the start of that range.
func (t *tree[K, V]) pick(r uint64) (Cursor[K, V], uint64) {
	if r >= t.sum {
		return Cursor[K, V]{}, 0
	}
	start := r
	if t.height == 0 {
		i := 0
		for r >= uint64(t.small[i].aux) {
			r -= uint64(t.small[i].aux)
			i++
		}
		return Cursor[K, V]{s: t.small, i: i}, start - r
	}
	x := t.root
	var l *leaf[K, V]
	for d := 0; ; d++ {
		i := 0
		for r >= x.word[i] {
			r -= x.word[i]
			i++
		}
		if d == t.height-1 {
			l = x.leaves[i]
			break
		}
		x = x.kids[i]
	}
	i := 0
	for r >= uint64(l.aux[i]) {
		r -= uint64(l.aux[i])
		i++
	}
	return Cursor[K, V]{l: l, i: i}, start - r
}

// rewrite replaces every entry's key and tie by f's result, in order, and
// renews the separators (Set only).
func (t *tree[K, V]) rewrite(f func(k K, a uint32, v V) (K, uint32)) {
	if t.height == 0 {
		for i := range t.small {
			e := &t.small[i]
			e.key, e.aux = f(e.key, e.aux, e.val)
		}
		return
	}
	for l := t.first; l != nil; l = l.next {
		for i := range l.n {
			l.keys[i], l.aux[i] = f(l.keys[i], l.aux[i], l.vals[i])
		}
	}
	t.root.renew(t.height - 1)
}

// renew recomputes the separators of the subtree at x of a Set, whose
// children are leaves at depth 0, and returns its smallest key and tie.
func (x *inner[K, V]) renew(depth int) (K, uint64) {
	for i := range x.n {
		if depth == 0 {
			x.keys[i], x.word[i] = x.leaves[i].keys[0], uint64(x.leaves[i].aux[0])
		} else {
			x.keys[i], x.word[i] = x.kids[i].renew(depth - 1)
		}
	}
	return x.keys[0], x.word[0]
}
