package btree

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
