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
