package btree

import "slices"

// Changes: insertion with splits, removal with merges and borrowing, and the
// node-level moves they are made of.

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
