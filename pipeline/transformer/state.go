package transformer

// boundedMap is the per-key state of a transformer: a map with a size cap.
// Entries are kept in a doubly linked list; with touch set (LRU, used by
// rate_of_change and delta) reading or writing an entry moves it to the
// back, so the least recently used key is evicted first; without it (FIFO,
// used by arithmetic) the list stays in insertion order, which is also the
// order mitaka's dict iterates in.
//
// It is not safe for concurrent use: the owning transformer's mutex guards
// it.
type boundedMap[K comparable, V any] struct {
	max   int
	touch bool
	m     map[K]*bmEntry[K, V]
	root  bmEntry[K, V] // sentinel: root.next is the oldest, root.prev the newest
}

type bmEntry[K comparable, V any] struct {
	key        K
	val        V
	prev, next *bmEntry[K, V]
}

func newBoundedMap[K comparable, V any](max int, touch bool) *boundedMap[K, V] {
	b := &boundedMap[K, V]{max: max, touch: touch, m: make(map[K]*bmEntry[K, V])}
	b.root.next, b.root.prev = &b.root, &b.root
	return b
}

func (b *boundedMap[K, V]) unlink(e *bmEntry[K, V]) {
	e.prev.next, e.next.prev = e.next, e.prev
}

func (b *boundedMap[K, V]) pushBack(e *bmEntry[K, V]) {
	e.prev, e.next = b.root.prev, &b.root
	b.root.prev.next = e
	b.root.prev = e
}

// get returns a pointer to key's value (valid until the next put or
// delete).
func (b *boundedMap[K, V]) get(key K) (*V, bool) {
	e, ok := b.m[key]
	if !ok {
		return nil, false
	}
	if b.touch {
		b.unlink(e)
		b.pushBack(e)
	}
	return &e.val, true
}

// put sets key's value and reports whether another entry was evicted to
// make room.
func (b *boundedMap[K, V]) put(key K, v V) (evicted bool) {
	if e, ok := b.m[key]; ok {
		e.val = v
		if b.touch {
			b.unlink(e)
			b.pushBack(e)
		}
		return false
	}
	var e *bmEntry[K, V]
	if len(b.m) >= b.max && b.max > 0 {
		e = b.root.next // reuse the oldest entry
		b.unlink(e)
		delete(b.m, e.key)
		evicted = true
	} else {
		e = &bmEntry[K, V]{}
	}
	e.key, e.val = key, v
	b.m[key] = e
	b.pushBack(e)
	return evicted
}

func (b *boundedMap[K, V]) delete(key K) {
	if e, ok := b.m[key]; ok {
		b.unlink(e)
		delete(b.m, key)
	}
}

func (b *boundedMap[K, V]) len() int { return len(b.m) }

// each calls f for every entry, oldest first, until f returns false. f may
// delete the entry it is given.
func (b *boundedMap[K, V]) each(f func(key K, v *V) bool) {
	for e := b.root.next; e != &b.root; {
		next := e.next
		if !f(e.key, &e.val) {
			return
		}
		e = next
	}
}
