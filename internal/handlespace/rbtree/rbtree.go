// Package rbtree is an intrusive red-black tree, generic over the element type
// and its ordering. The handlespace keeps its pools in one, ordered by
// handle.
//
// The tree stores no nodes of its own: every element embeds one Links value
// per tree it can be a member of, and the Ops type parameter tells the tree
// where that Links value is, where the element keeps its colour bit and how
// two elements compare, so an element in several trees stays one
// allocation. Colours are kept outside Links (one bit per tree in a byte the
// element owns) because a bool next to three pointers would cost a full word
// of padding per tree.
//
// The element type T must be a pointer-like comparable type whose zero value
// means "no element" (normally a pointer).
package rbtree

import (
	"errors"
	"fmt"
)

// Links are the tree pointers an element embeds for one tree.
type Links[T comparable] struct {
	left, right, parent T
}

// Ops locates an element's links and colour and orders elements.
type Ops[T comparable] interface {
	// Links returns the element's links for this tree.
	Links(x T) *Links[T]
	// Color returns the byte holding the element's colour bit for this tree
	// and the bit's mask. A set bit means red.
	Color(x T) (*uint8, uint8)
	// Compare orders two elements; it must be a strict total order on the
	// elements that are in the tree at the same time.
	Compare(a, b T) int
}

// Tree is a red-black tree. The zero value is not usable; call Init.
type Tree[T comparable, O Ops[T]] struct {
	root T
	// first and last are cached: selection sets mostly take from the front
	// and re-append at the back, which then costs amortised O(1).
	first, last T
	n           int
	ops         O
}

// Init prepares an empty tree.
func (t *Tree[T, O]) Init(ops O) {
	var zero T
	t.root, t.first, t.last, t.n, t.ops = zero, zero, zero, 0, ops
}

// Len returns the number of elements.
func (t *Tree[T, O]) Len() int { return t.n }

// Root returns the root element (zero if empty); exposed for checks.
func (t *Tree[T, O]) Root() T { return t.root }

// Contains reports whether x is linked into this tree. It relies on Remove
// clearing the links of removed elements.
func (t *Tree[T, O]) Contains(x T) bool {
	var zero T
	return x != zero && (x == t.root || t.ops.Links(x).parent != zero)
}

func (t *Tree[T, O]) red(x T) bool {
	var zero T
	if x == zero {
		return false
	}
	b, m := t.ops.Color(x)
	return *b&m != 0
}

func (t *Tree[T, O]) setRed(x T, red bool) {
	b, m := t.ops.Color(x)
	if red {
		*b |= m
	} else {
		*b &^= m
	}
}

// Insert links x into the tree. If an equal element is already present,
// Insert returns it and false and leaves the tree unchanged.
func (t *Tree[T, O]) Insert(x T) (T, bool) {
	var zero T
	parent, c := zero, 0
	switch {
	case t.root == zero:
	case t.ops.Compare(x, t.last) > 0:
		// Appending: the last element has no right child.
		parent, c = t.last, 1
	case t.ops.Compare(x, t.first) < 0:
		parent, c = t.first, -1
	default:
		for cur := t.root; cur != zero; {
			parent = cur
			c = t.ops.Compare(x, cur)
			switch {
			case c < 0:
				cur = t.ops.Links(cur).left
			case c > 0:
				cur = t.ops.Links(cur).right
			default:
				return cur, false
			}
		}
	}
	l := t.ops.Links(x)
	l.left, l.right, l.parent = zero, zero, parent
	switch {
	case parent == zero:
		t.root, t.first, t.last = x, x, x
	case c < 0:
		t.ops.Links(parent).left = x
		if parent == t.first {
			t.first = x
		}
	default:
		t.ops.Links(parent).right = x
		if parent == t.last {
			t.last = x
		}
	}
	t.setRed(x, true)
	t.n++
	t.insertFixup(x)
	return x, true
}

func (t *Tree[T, O]) insertFixup(x T) {
	for {
		p := t.ops.Links(x).parent
		if !t.red(p) {
			break
		}
		g := t.ops.Links(p).parent // exists: a red node is never the root
		gl := t.ops.Links(g)
		if p == gl.left {
			u := gl.right
			if t.red(u) {
				t.setRed(p, false)
				t.setRed(u, false)
				t.setRed(g, true)
				x = g
				continue
			}
			if x == t.ops.Links(p).right {
				x = p
				t.rotateLeft(x)
				p = t.ops.Links(x).parent
			}
			t.setRed(p, false)
			t.setRed(g, true)
			t.rotateRight(g)
		} else {
			u := gl.left
			if t.red(u) {
				t.setRed(p, false)
				t.setRed(u, false)
				t.setRed(g, true)
				x = g
				continue
			}
			if x == t.ops.Links(p).left {
				x = p
				t.rotateRight(x)
				p = t.ops.Links(x).parent
			}
			t.setRed(p, false)
			t.setRed(g, true)
			t.rotateLeft(g)
		}
	}
	t.setRed(t.root, false)
}

// rotateLeft moves x's right child up into x's place.
func (t *Tree[T, O]) rotateLeft(x T) {
	var zero T
	xl := t.ops.Links(x)
	y := xl.right
	yl := t.ops.Links(y)
	xl.right = yl.left
	if yl.left != zero {
		t.ops.Links(yl.left).parent = x
	}
	t.replaceChild(xl.parent, x, y)
	yl.parent = xl.parent
	yl.left = x
	xl.parent = y
}

func (t *Tree[T, O]) rotateRight(x T) {
	var zero T
	xl := t.ops.Links(x)
	y := xl.left
	yl := t.ops.Links(y)
	xl.left = yl.right
	if yl.right != zero {
		t.ops.Links(yl.right).parent = x
	}
	t.replaceChild(xl.parent, x, y)
	yl.parent = xl.parent
	yl.right = x
	xl.parent = y
}

// replaceChild makes n take old's place below parent (or as root).
func (t *Tree[T, O]) replaceChild(parent, old, n T) {
	var zero T
	if parent == zero {
		t.root = n
		return
	}
	pl := t.ops.Links(parent)
	if pl.left == old {
		pl.left = n
	} else {
		pl.right = n
	}
}

// Remove unlinks x, which must be in the tree, and clears its links.
func (t *Tree[T, O]) Remove(z T) {
	var zero T
	if z == t.first {
		t.first = t.Next(z)
	}
	if z == t.last {
		t.last = t.Prev(z)
	}
	zl := t.ops.Links(z)
	var x, xParent T
	removedRed := t.red(z)
	switch {
	case zl.left == zero:
		x, xParent = zl.right, zl.parent
		t.transplant(z, x)
	case zl.right == zero:
		x, xParent = zl.left, zl.parent
		t.transplant(z, x)
	default:
		y := zl.right
		for l := t.ops.Links(y).left; l != zero; l = t.ops.Links(y).left {
			y = l
		}
		yl := t.ops.Links(y)
		removedRed = t.red(y)
		x = yl.right
		if yl.parent == z {
			xParent = y
		} else {
			xParent = yl.parent
			t.transplant(y, x)
			yl.right = zl.right
			t.ops.Links(yl.right).parent = y
		}
		t.transplant(z, y)
		yl.left = zl.left
		t.ops.Links(yl.left).parent = y
		t.setRed(y, t.red(z))
	}
	if !removedRed {
		t.removeFixup(x, xParent)
	}
	zl.left, zl.right, zl.parent = zero, zero, zero
	t.n--
}

// transplant puts v (possibly zero) where u was.
func (t *Tree[T, O]) transplant(u, v T) {
	var zero T
	up := t.ops.Links(u).parent
	t.replaceChild(up, u, v)
	if v != zero {
		t.ops.Links(v).parent = up
	}
}

// removeFixup restores the colour invariants; x may be zero, so its parent
// is passed separately.
func (t *Tree[T, O]) removeFixup(x, parent T) {
	var zero T
	for x != t.root && !t.red(x) {
		pl := t.ops.Links(parent)
		if x == pl.left {
			w := pl.right
			if t.red(w) {
				t.setRed(w, false)
				t.setRed(parent, true)
				t.rotateLeft(parent)
				w = t.ops.Links(parent).right
			}
			wl := t.ops.Links(w)
			if !t.red(wl.left) && !t.red(wl.right) {
				t.setRed(w, true)
				x = parent
				parent = t.ops.Links(x).parent
				continue
			}
			if !t.red(wl.right) {
				t.setRed(wl.left, false)
				t.setRed(w, true)
				t.rotateRight(w)
				w = t.ops.Links(parent).right
				wl = t.ops.Links(w)
			}
			t.setRed(w, t.red(parent))
			t.setRed(parent, false)
			t.setRed(wl.right, false)
			t.rotateLeft(parent)
			x = t.root
			break
		}
		w := pl.left
		if t.red(w) {
			t.setRed(w, false)
			t.setRed(parent, true)
			t.rotateRight(parent)
			w = t.ops.Links(parent).left
		}
		wl := t.ops.Links(w)
		if !t.red(wl.left) && !t.red(wl.right) {
			t.setRed(w, true)
			x = parent
			parent = t.ops.Links(x).parent
			continue
		}
		if !t.red(wl.left) {
			t.setRed(wl.right, false)
			t.setRed(w, true)
			t.rotateLeft(w)
			w = t.ops.Links(parent).left
			wl = t.ops.Links(w)
		}
		t.setRed(w, t.red(parent))
		t.setRed(parent, false)
		t.setRed(wl.left, false)
		t.rotateRight(parent)
		x = t.root
		break
	}
	if x != zero {
		t.setRed(x, false)
	}
}

// First returns the smallest element (zero if empty).
func (t *Tree[T, O]) First() T { return t.first }

// Last returns the largest element (zero if empty).
func (t *Tree[T, O]) Last() T { return t.last }

// Next returns the element following x (zero if x is the last).
func (t *Tree[T, O]) Next(x T) T {
	var zero T
	xl := t.ops.Links(x)
	if xl.right != zero {
		x = xl.right
		for l := t.ops.Links(x).left; l != zero; l = t.ops.Links(x).left {
			x = l
		}
		return x
	}
	p := xl.parent
	for p != zero && x == t.ops.Links(p).right {
		x, p = p, t.ops.Links(p).parent
	}
	return p
}

// Prev returns the element preceding x (zero if x is the first).
func (t *Tree[T, O]) Prev(x T) T {
	var zero T
	xl := t.ops.Links(x)
	if xl.left != zero {
		x = xl.left
		for r := t.ops.Links(x).right; r != zero; r = t.ops.Links(x).right {
			x = r
		}
		return x
	}
	p := xl.parent
	for p != zero && x == t.ops.Links(p).left {
		x, p = p, t.ops.Links(p).parent
	}
	return p
}

// Find returns the element for which probe returns 0. probe(e) compares the
// sought key with element e: negative if the key sorts before e.
func (t *Tree[T, O]) Find(probe func(T) int) T {
	var zero T
	x := t.root
	for x != zero {
		c := probe(x)
		switch {
		case c < 0:
			x = t.ops.Links(x).left
		case c > 0:
			x = t.ops.Links(x).right
		default:
			return x
		}
	}
	return zero
}

// After returns the first element that sorts strictly after the key
// described by probe (see Find), or zero.
func (t *Tree[T, O]) After(probe func(T) int) T {
	var zero T
	best, x := zero, t.root
	for x != zero {
		if probe(x) < 0 {
			best = x
			x = t.ops.Links(x).left
		} else {
			x = t.ops.Links(x).right
		}
	}
	return best
}

// Check verifies every invariant: parent links, strict ordering, no red node
// with a red child, equal black height on all paths and the element count.
// It is meant for tests.
func (t *Tree[T, O]) Check() error {
	var zero T
	if t.root == zero {
		if t.n != 0 || t.first != zero || t.last != zero {
			return fmt.Errorf("empty tree has count %d or cached elements", t.n)
		}
		return nil
	}
	if t.ops.Links(t.root).parent != zero {
		return errors.New("root has a parent")
	}
	lo, hi := t.root, t.root
	for l := t.ops.Links(lo).left; l != zero; l = t.ops.Links(lo).left {
		lo = l
	}
	for r := t.ops.Links(hi).right; r != zero; r = t.ops.Links(hi).right {
		hi = r
	}
	if lo != t.first || hi != t.last {
		return errors.New("cached first or last element is wrong")
	}
	if t.red(t.root) {
		return errors.New("root is red")
	}
	count := 0
	if _, err := t.check(t.root, &count); err != nil {
		return err
	}
	if count != t.n {
		return fmt.Errorf("counted %d elements, Len is %d", count, t.n)
	}
	prev := zero
	for x := t.First(); x != zero; x = t.Next(x) {
		if prev != zero && t.ops.Compare(prev, x) >= 0 {
			return errors.New("elements out of order")
		}
		prev = x
		count--
	}
	if count != 0 {
		return errors.New("iteration count differs from tree count")
	}
	return nil
}

// check returns the black height of the subtree at x and counts its
// elements.
func (t *Tree[T, O]) check(x T, count *int) (int, error) {
	var zero T
	if x == zero {
		return 1, nil
	}
	*count++
	l := t.ops.Links(x)
	for _, c := range [2]T{l.left, l.right} {
		if c == zero {
			continue
		}
		if t.ops.Links(c).parent != x {
			return 0, errors.New("bad parent link")
		}
		if t.red(x) && t.red(c) {
			return 0, errors.New("red node with red child")
		}
	}
	if l.left != zero && t.ops.Compare(l.left, x) >= 0 {
		return 0, errors.New("left child not smaller")
	}
	if l.right != zero && t.ops.Compare(l.right, x) <= 0 {
		return 0, errors.New("right child not larger")
	}
	hl, err := t.check(l.left, count)
	if err != nil {
		return 0, err
	}
	hr, err := t.check(l.right, count)
	if err != nil {
		return 0, err
	}
	if hl != hr {
		return 0, fmt.Errorf("black heights differ: %d vs %d", hl, hr)
	}
	if !t.red(x) {
		hl++
	}
	return hl, nil
}
