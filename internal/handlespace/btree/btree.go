// Package btree is an in-memory B+ tree for the handlespace's per-pool sets:
// compact leaves of up to 63 entries and inner nodes of up to 31 children,
// so that a search touches a few cache lines per level. A million entries
// need five levels, of which usually only the lowest one or two miss the
// cache, where a binary tree whose nodes are the pool elements themselves
// takes about twenty cache misses.
//
// Every entry has an integer key, a 32-bit extra word and a value. The two
// tree types differ in what the extra word means:
//
//   - Set orders its entries by (key, tie): the extra word is the low-order
//     part of the key (a pool's selection order: sort key, then sequence
//     number);
//   - Weighted orders its entries by key alone, and the extra word is the
//     entry's weight; inner nodes keep the weight sum of every child, so
//     that an entry can be drawn with probability proportional to its
//     weight in O(log n) (a pool's PE index by identifier).
//
// Most pools are small, so a tree of up to 63 entries keeps them in one
// sorted slice of just the needed capacity instead of a leaf of full size.
//
// The zero value of either type is an empty tree. Values are copied in and
// out; the trees hold no pointers into the values.
package btree

import (
	"errors"
	"fmt"
	"slices"
)

// Key is the type of the integer keys.
type Key interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

const (
	// maxEntries fills the size classes of the allocator: a leaf with
	// 64-bit keys and pointer values is 1,280 bytes, with 32-bit keys
	// 1,024 bytes.
	maxEntries = 63
	// minEntries is the fill below which a leaf takes entries from a
	// neighbour or merges with it.
	minEntries = maxEntries / 2
	// maxKids is the fan-out of inner nodes. Smaller than a leaf, so that
	// the root of a medium pool's tree costs 1 KB, not 2; the levels above
	// the leaves are few and stay in the cache anyway.
	maxKids = 31
	minKids = maxKids / 2
	// maxHeight bounds the inner levels: a non-root inner node has at
	// least minKids children, so 10 levels hold over 10^12 entries.
	maxHeight = 10
)

// entry is an entry of a tree of height 0.
type entry[K Key, V comparable] struct {
	key K
	aux uint32
	val V
}

type leaf[K Key, V comparable] struct {
	n    int
	next *leaf[K, V] // leaves are chained in key order
	keys [maxEntries]K
	aux  [maxEntries]uint32 // tie (Set) or weight (Weighted)
	vals [maxEntries]V
}

// inner is an inner node. The key of child i (i >= 1), and in a Set its
// tie (the low 32 bits of word), are its separator: no entry of child i
// sorts before it and every entry of child i-1 sorts before it. Child 0's
// separator is a lower bound only. In a Weighted tree, word is the child's
// weight sum. Children are either all inner nodes (kids) or all leaves.
type inner[K Key, V comparable] struct {
	n      int
	keys   [maxKids]K
	word   [maxKids]uint64
	kids   [maxKids]*inner[K, V]
	leaves [maxKids]*leaf[K, V]
}

type step[K Key, V comparable] struct {
	node *inner[K, V]
	i    int
}

type path[K Key, V comparable] [maxHeight]step[K, V]

// tree is the implementation of both types. weighted selects the meaning of
// the extra word; the exported types pass it as a constant.
type tree[K Key, V comparable] struct {
	small  []entry[K, V] // all entries while height is 0
	root   *inner[K, V]  // while height > 0
	first  *leaf[K, V]   // while height > 0
	spare  *leaf[K, V]   // an empty leaf from a merge, for the next split
	height int           // inner levels
	n      int
	sum    uint64
}

// less reports whether (ka, aa) sorts before (kb, ab).
func less[K Key](weighted bool, ka K, aa uint32, kb K, ab uint32) bool {
	if weighted {
		return ka < kb
	}
	return ka < kb || ka == kb && aa < ab
}

// child returns the index of the child of x that holds (k, a).
func (x *inner[K, V]) child(weighted bool, k K, a uint32) int {
	// Selection sets append most of their insertions.
	if !less(weighted, k, a, x.keys[x.n-1], uint32(x.word[x.n-1])) {
		return x.n - 1
	}
	// A linear scan issues the loads of all cache lines at once; a binary
	// search would wait for each.
	i := 1
	for i < x.n && !less(weighted, k, a, x.keys[i], uint32(x.word[i])) {
		i++
	}
	return i - 1
}

// lower returns the position of the first entry of l not before (k, a).
func (l *leaf[K, V]) lower(weighted bool, k K, a uint32) int {
	if less(weighted, l.keys[l.n-1], l.aux[l.n-1], k, a) {
		return l.n
	}
	i := 0
	for i < l.n && less(weighted, l.keys[i], l.aux[i], k, a) {
		i++
	}
	return i
}

// lowerSmall returns the position of the first entry of a tree of height 0
// not before (k, a).
func (t *tree[K, V]) lowerSmall(weighted bool, k K, a uint32) int {
	i := 0
	for i < len(t.small) && less(weighted, t.small[i].key, t.small[i].aux, k, a) {
		i++
	}
	return i
}

// descend returns the leaf that holds or would hold (k, a) in a tree of
// height > 0 and records the inner nodes and child indexes on the way in p.
func (t *tree[K, V]) descend(weighted bool, k K, a uint32, p *path[K, V]) *leaf[K, V] {
	x := t.root
	for d := 0; ; d++ {
		i := x.child(weighted, k, a)
		p[d] = step[K, V]{x, i}
		if d == t.height-1 {
			return x.leaves[i]
		}
		x = x.kids[i]
	}
}

// find returns the position of the first entry not before (k, a) and
// whether it is (k, a). The position is in t.small (l == nil) if the tree
// has height 0.
func (t *tree[K, V]) find(weighted bool, k K, a uint32) (l *leaf[K, V], i int, ok bool) {
	if t.height == 0 {
		i = t.lowerSmall(weighted, k, a)
		return nil, i, i < len(t.small) && !less(weighted, k, a, t.small[i].key, t.small[i].aux)
	}
	x := t.root
	for d := 0; ; d++ {
		j := x.child(weighted, k, a)
		if d == t.height-1 {
			l = x.leaves[j]
			break
		}
		x = x.kids[j]
	}
	i = l.lower(weighted, k, a)
	return l, i, i < l.n && !less(weighted, k, a, l.keys[i], l.aux[i])
}

// addSums adds d (modulo 2^64) to the weight sums on the path.
func (t *tree[K, V]) addSums(p *path[K, V], d uint64) {
	for s := range p[:t.height] {
		p[s].node.word[p[s].i] += d
	}
	t.sum += d
}

func (l *leaf[K, V]) sum() uint64 {
	var s uint64
	for _, w := range l.aux[:l.n] {
		s += uint64(w)
	}
	return s
}

func (x *inner[K, V]) sum() uint64 {
	var s uint64
	for _, w := range x.word[:x.n] {
		s += w
	}
	return s
}

// word returns what an inner node keeps beside the separator of a child
// whose first entry has extra word a and whose weight sum is sum.
func word(weighted bool, a uint32, sum uint64) uint64 {
	if weighted {
		return sum
	}
	return uint64(a)
}

func (l *leaf[K, V]) insertAt(i int, k K, a uint32, v V) {
	copy(l.keys[i+1:l.n+1], l.keys[i:l.n])
	copy(l.aux[i+1:l.n+1], l.aux[i:l.n])
	copy(l.vals[i+1:l.n+1], l.vals[i:l.n])
	l.keys[i], l.aux[i], l.vals[i] = k, a, v
	l.n++
}

func (l *leaf[K, V]) removeAt(i int) {
	copy(l.keys[i:], l.keys[i+1:l.n])
	copy(l.aux[i:], l.aux[i+1:l.n])
	copy(l.vals[i:], l.vals[i+1:l.n])
	l.n--
	var zero V
	l.vals[l.n] = zero // let the value be collected
}

// moveLeaf moves entries [from, from+n) of src to dst at position at.
func moveLeaf[K Key, V comparable](dst *leaf[K, V], at int, src *leaf[K, V], from, n int) {
	copy(dst.keys[at+n:dst.n+n], dst.keys[at:dst.n])
	copy(dst.aux[at+n:dst.n+n], dst.aux[at:dst.n])
	copy(dst.vals[at+n:dst.n+n], dst.vals[at:dst.n])
	copy(dst.keys[at:at+n], src.keys[from:from+n])
	copy(dst.aux[at:at+n], src.aux[from:from+n])
	copy(dst.vals[at:at+n], src.vals[from:from+n])
	dst.n += n
	copy(src.keys[from:], src.keys[from+n:src.n])
	copy(src.aux[from:], src.aux[from+n:src.n])
	copy(src.vals[from:], src.vals[from+n:src.n])
	clear(src.vals[src.n-n : src.n])
	src.n -= n
}

// moveInner moves children [from, from+n) of src to dst at position at,
// with their separators and words.
func moveInner[K Key, V comparable](dst *inner[K, V], at int, src *inner[K, V], from, n int) {
	copy(dst.keys[at+n:dst.n+n], dst.keys[at:dst.n])
	copy(dst.word[at+n:dst.n+n], dst.word[at:dst.n])
	copy(dst.kids[at+n:dst.n+n], dst.kids[at:dst.n])
	copy(dst.leaves[at+n:dst.n+n], dst.leaves[at:dst.n])
	copy(dst.keys[at:at+n], src.keys[from:from+n])
	copy(dst.word[at:at+n], src.word[from:from+n])
	copy(dst.kids[at:at+n], src.kids[from:from+n])
	copy(dst.leaves[at:at+n], src.leaves[from:from+n])
	dst.n += n
	copy(src.keys[from:], src.keys[from+n:src.n])
	copy(src.word[from:], src.word[from+n:src.n])
	copy(src.kids[from:], src.kids[from+n:src.n])
	copy(src.leaves[from:], src.leaves[from+n:src.n])
	clear(src.kids[src.n-n : src.n])
	clear(src.leaves[src.n-n : src.n])
	src.n -= n
}

func (x *inner[K, V]) insertAt(i int, k K, w uint64, kid *inner[K, V], l *leaf[K, V]) {
	copy(x.keys[i+1:x.n+1], x.keys[i:x.n])
	copy(x.word[i+1:x.n+1], x.word[i:x.n])
	copy(x.kids[i+1:x.n+1], x.kids[i:x.n])
	copy(x.leaves[i+1:x.n+1], x.leaves[i:x.n])
	x.keys[i], x.word[i], x.kids[i], x.leaves[i] = k, w, kid, l
	x.n++
}

func (x *inner[K, V]) removeAt(i int) {
	copy(x.keys[i:], x.keys[i+1:x.n])
	copy(x.word[i:], x.word[i+1:x.n])
	copy(x.kids[i:], x.kids[i+1:x.n])
	copy(x.leaves[i:], x.leaves[i+1:x.n])
	x.n--
	x.kids[x.n], x.leaves[x.n] = nil, nil
}

func (t *tree[K, V]) newLeaf() *leaf[K, V] {
	if l := t.spare; l != nil {
		t.spare = nil
		return l
	}
	return new(leaf[K, V])
}

// grow turns the full entry slice of a tree of height 0 into a leaf below
// a root with that single child, which the insertion under way splits.
func (t *tree[K, V]) grow(weighted bool) {
	l := t.newLeaf()
	for i, e := range t.small {
		l.keys[i], l.aux[i], l.vals[i] = e.key, e.aux, e.val
	}
	l.n = len(t.small)
	root := &inner[K, V]{n: 1}
	root.keys[0], root.word[0], root.leaves[0] = l.keys[0], word(weighted, l.aux[0], l.sum()), l
	t.small, t.root, t.first, t.height = nil, root, l, 1
}

// shrink turns a tree whose root has a single leaf into a tree of height
// 0.
func (t *tree[K, V]) shrink() {
	l := t.root.leaves[0]
	t.small = make([]entry[K, V], l.n, l.n+l.n/4)
	for i := range t.small {
		t.small[i] = entry[K, V]{l.keys[i], l.aux[i], l.vals[i]}
	}
	t.root, t.first, t.spare, t.height = nil, nil, nil, 0
}

// insert adds (k, a, v) unless an entry with the same position exists; it
// reports whether it added the entry.
func (t *tree[K, V]) insert(weighted bool, k K, a uint32, v V) bool {
	if t.height == 0 {
		i := t.lowerSmall(weighted, k, a)
		if i < len(t.small) && !less(weighted, k, a, t.small[i].key, t.small[i].aux) {
			return false
		}
		if len(t.small) < maxEntries {
			t.small = slices.Insert(t.small, i, entry[K, V]{k, a, v})
			t.n++
			if weighted {
				t.sum += uint64(a)
			}
			return true
		}
		t.grow(weighted)
	}
	var p path[K, V]
	l := t.descend(weighted, k, a, &p)
	i := l.lower(weighted, k, a)
	if i < l.n && !less(weighted, k, a, l.keys[i], l.aux[i]) {
		return false
	}
	t.n++
	if weighted {
		t.addSums(&p, uint64(a))
	}
	if l.n < maxEntries {
		l.insertAt(i, k, a, v)
		return true
	}
	// Split the full leaf. Appending behind the last entry of the tree
	// leaves the old leaf full, so that ascending insertions (a round robin
	// pool's re-linked PEs) fill leaves completely; the last leaf is the
	// only one that may hold fewer than minEntries.
	r := t.newLeaf()
	switch {
	case i == maxEntries && l.next == nil:
		r.insertAt(0, k, a, v)
	case i <= maxEntries/2:
		moveLeaf(r, 0, l, maxEntries/2, maxEntries-maxEntries/2)
		l.insertAt(i, k, a, v)
	default:
		moveLeaf(r, 0, l, maxEntries/2+1, maxEntries-maxEntries/2-1)
		r.insertAt(i-l.n, k, a, v)
	}
	r.next, l.next = l.next, r
	var lsum, rsum uint64
	if weighted {
		lsum, rsum = l.sum(), r.sum()
	}
	t.insertChild(weighted, &p, nil, lsum, r.keys[0], word(weighted, r.aux[0], rsum), nil, r)
	return true
}

// insertChild puts a new child (rk or rl, with separator key k and word w)
// behind child p[d].i of the inner node at the bottom of the path, d =
// height-1, and splits full nodes upwards. lsum is the new weight sum of
// the old child; lk is the old child if it is an inner node.
func (t *tree[K, V]) insertChild(weighted bool, p *path[K, V], lk *inner[K, V], lsum uint64,
	k K, w uint64, rk *inner[K, V], rl *leaf[K, V]) {
	for d := t.height - 1; ; d-- {
		if d < 0 {
			// A new root above the split old root lk.
			root := &inner[K, V]{n: 2}
			root.keys[0], root.word[0], root.kids[0] = lk.keys[0], word(weighted, uint32(lk.word[0]), lsum), lk
			root.keys[1], root.word[1], root.kids[1] = k, w, rk
			t.root = root
			t.height++
			return
		}
		x, i := p[d].node, p[d].i
		if weighted {
			x.word[i] = lsum
		}
		if x.n < maxKids {
			x.insertAt(i+1, k, w, rk, rl)
			return
		}
		// Inner nodes always split evenly, so that every non-root inner
		// node has a sibling to share with.
		y := new(inner[K, V])
		if j := i + 1; j <= maxKids/2 {
			moveInner(y, 0, x, maxKids/2, maxKids-maxKids/2)
			x.insertAt(j, k, w, rk, rl)
		} else {
			moveInner(y, 0, x, maxKids/2+1, maxKids-maxKids/2-1)
			y.insertAt(j-x.n, k, w, rk, rl)
		}
		var ysum uint64
		if weighted {
			lsum, ysum = x.sum(), y.sum()
		}
		k, w = y.keys[0], word(weighted, uint32(y.word[0]), ysum)
		lk, rk, rl = x, y, nil
	}
}

// remove deletes the entry at (k, a) and returns its value and extra word.
func (t *tree[K, V]) remove(weighted bool, k K, a uint32) (v V, aux uint32, ok bool) {
	if t.height == 0 {
		i := t.lowerSmall(weighted, k, a)
		if i >= len(t.small) || less(weighted, k, a, t.small[i].key, t.small[i].aux) {
			return v, 0, false
		}
		e := t.small[i]
		t.small = slices.Delete(t.small, i, i+1)
		t.n--
		if weighted {
			t.sum -= uint64(e.aux)
		}
		// Give memory back when a pool shrinks for good.
		if c := cap(t.small); c > 8 && len(t.small) <= c/4 {
			t.small = append(make([]entry[K, V], 0, c/2), t.small...)
		}
		return e.val, e.aux, true
	}
	var p path[K, V]
	l := t.descend(weighted, k, a, &p)
	i := l.lower(weighted, k, a)
	if i >= l.n || less(weighted, k, a, l.keys[i], l.aux[i]) {
		return v, 0, false
	}
	v, aux = l.vals[i], l.aux[i]
	l.removeAt(i)
	t.n--
	if weighted {
		t.addSums(&p, -uint64(aux))
	}
	if l.n < minEntries {
		t.rebalanceLeaf(weighted, &p)
	}
	return v, aux, true
}

// rebalanceLeaf refills the underfull leaf at the end of the path from a
// sibling, or merges the two.
func (t *tree[K, V]) rebalanceLeaf(weighted bool, p *path[K, V]) {
	d := t.height - 1
	x, i := p[d].node, p[d].i
	// Work on the pair (left, right) = children (j, j+1).
	j := i
	if j == x.n-1 {
		j--
	}
	left, right := x.leaves[j], x.leaves[j+1]
	if left.n+right.n <= maxEntries {
		moveLeaf(left, left.n, right, 0, right.n)
		left.next, right.next = right.next, nil
		if weighted {
			x.word[j] += x.word[j+1]
		}
		x.removeAt(j + 1)
		if t.spare == nil {
			t.spare = right
		}
		t.rebalanceInner(weighted, p, d)
		return
	}
	// Share the entries evenly so that the next removals do not need to
	// borrow again at once.
	if left.n < right.n {
		moveLeaf(left, left.n, right, 0, (right.n-left.n)/2)
	} else {
		m := (left.n - right.n) / 2
		moveLeaf(right, 0, left, left.n-m, m)
	}
	x.keys[j+1] = right.keys[0]
	if weighted {
		x.word[j], x.word[j+1] = left.sum(), right.sum()
	} else {
		x.word[j+1] = uint64(right.aux[0])
	}
}

// rebalanceInner restores the fill of the inner node at depth d after it
// lost a child.
func (t *tree[K, V]) rebalanceInner(weighted bool, p *path[K, V], d int) {
	for {
		x := p[d].node
		if d == 0 {
			if x.n == 1 {
				// The root has a single child: it becomes the root.
				if t.height--; t.height == 0 {
					t.shrink()
				} else {
					t.root = x.kids[0]
				}
			}
			return
		}
		if x.n >= minKids {
			return
		}
		px, i := p[d-1].node, p[d-1].i
		j := i
		if j == px.n-1 {
			j--
		}
		left, right := px.kids[j], px.kids[j+1]
		// The right node's first separator becomes the parent's separator
		// for it, which is exact.
		right.keys[0] = px.keys[j+1]
		if !weighted {
			right.word[0] = px.word[j+1]
		}
		if left.n+right.n <= maxKids {
			moveInner(left, left.n, right, 0, right.n)
			if weighted {
				px.word[j] += px.word[j+1]
			}
			px.removeAt(j + 1)
			d--
			continue
		}
		if left.n < right.n {
			moveInner(left, left.n, right, 0, (right.n-left.n)/2)
		} else {
			m := (left.n - right.n) / 2
			moveInner(right, 0, left, left.n-m, m)
		}
		px.keys[j+1] = right.keys[0]
		if weighted {
			px.word[j], px.word[j+1] = left.sum(), right.sum()
		} else {
			px.word[j+1] = right.word[0]
		}
		return
	}
}

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

// Set is a B+ tree of entries ordered by (key, tie), which are unique.
type Set[K Key, V comparable] struct{ t tree[K, V] }

// Len returns the number of entries.
func (s *Set[K, V]) Len() int { return s.t.n }

// Insert adds an entry and reports true, or reports false and changes
// nothing if (k, tie) is taken.
func (s *Set[K, V]) Insert(k K, tie uint32, v V) bool { return s.t.insert(false, k, tie, v) }

// Remove deletes the entry (k, tie) and returns its value.
func (s *Set[K, V]) Remove(k K, tie uint32) (V, bool) {
	v, _, ok := s.t.remove(false, k, tie)
	return v, ok
}

// Find returns the value of the entry (k, tie).
func (s *Set[K, V]) Find(k K, tie uint32) (V, bool) { return s.t.value(false, k, tie) }

func (t *tree[K, V]) value(weighted bool, k K, a uint32) (V, bool) {
	l, i, ok := t.find(weighted, k, a)
	switch {
	case !ok:
		var zero V
		return zero, false
	case l == nil:
		return t.small[i].val, true
	}
	return l.vals[i], true
}

// First returns a cursor at the smallest entry (invalid if the set is
// empty).
func (s *Set[K, V]) First() Cursor[K, V] { return s.t.firstCursor() }

// After returns a cursor at the first entry after (k, tie).
func (s *Set[K, V]) After(k K, tie uint32) Cursor[K, V] { return s.t.seek(false, k, tie, true) }

// Seek returns a cursor at the first entry not before (k, tie).
func (s *Set[K, V]) Seek(k K, tie uint32) Cursor[K, V] { return s.t.seek(false, k, tie, false) }

// Rewrite calls f for every entry in order and gives the entry the key
// and tie f returns. f must keep the order of the entries strictly
// increasing; Check detects a violation.
func (s *Set[K, V]) Rewrite(f func(k K, tie uint32, v V) (K, uint32)) { s.t.rewrite(f) }

// Check verifies the tree's invariants (for tests).
func (s *Set[K, V]) Check() error { return s.t.check(false) }

// Weighted is a B+ tree of entries ordered by key, which are unique, each
// with a weight; entries can be drawn by cumulative weight.
type Weighted[K Key, V comparable] struct{ t tree[K, V] }

// Len returns the number of entries.
func (w *Weighted[K, V]) Len() int { return w.t.n }

// Sum returns the total weight.
func (w *Weighted[K, V]) Sum() uint64 { return w.t.sum }

// Insert adds an entry of the given weight and reports true, or reports
// false and changes nothing if the key is taken.
func (w *Weighted[K, V]) Insert(k K, weight uint32, v V) bool { return w.t.insert(true, k, weight, v) }

// Remove deletes the entry with key k and returns its value and weight.
func (w *Weighted[K, V]) Remove(k K) (V, uint32, bool) { return w.t.remove(true, k, 0) }

// Find returns the value of the entry with key k.
func (w *Weighted[K, V]) Find(k K) (V, bool) { return w.t.value(true, k, 0) }

// SetWeight changes the weight of the entry with key k and returns the old
// weight; ok is false if there is no such entry.
func (w *Weighted[K, V]) SetWeight(k K, weight uint32) (old uint32, ok bool) {
	return w.t.setWeight(k, weight)
}

// Pick returns a cursor at the entry whose range of cumulative weights, in
// key order, contains r: the entry e with start <= r < start + weight(e),
// where start is the total weight of the entries before e. The cursor is
// invalid if r >= Sum().
func (w *Weighted[K, V]) Pick(r uint64) (c Cursor[K, V], start uint64) { return w.t.pick(r) }

// First returns a cursor at the entry with the smallest key (invalid if the
// tree is empty).
func (w *Weighted[K, V]) First() Cursor[K, V] { return w.t.firstCursor() }

// After returns a cursor at the first entry with a key greater than k.
func (w *Weighted[K, V]) After(k K) Cursor[K, V] { return w.t.seek(true, k, 0, true) }

// Check verifies the tree's invariants (for tests).
func (w *Weighted[K, V]) Check() error { return w.t.check(true) }
