/// Splits records into requests that respect a platform's limits, so oversize payloads are never sent.
enum BatchSplitter {
    /// The chunks to send, in order, and the items too large to send at all.
    struct Plan<Item> {
        var chunks: [[Item]] = []
        var oversize: [Item] = []
    }

    /// Splits `items` into chunks of at most `maxItems` items and at most `maxPayload` bytes, where a
    /// chunk weighs `envelope` bytes plus each item's `size` plus `separator` bytes between items.
    ///
    /// An item over `maxItem` bytes, or too big to fit an empty chunk, goes to ``Plan/oversize``.
    /// With `key`, a chunk never holds two items with the same key (platforms refuse duplicate ids in
    /// one batch): a repeat starts the next chunk, so the later value is still written last.
    static func split<Item>(
        _ items: [Item], maxItems: Int, maxPayload: Int? = nil, maxItem: Int? = nil, envelope: Int = 0,
        separator: Int = 1, size: (Item) -> Int, key: ((Item) -> String)? = nil
    ) -> Plan<Item> {
        var plan = Plan<Item>()
        var current: [Item] = []
        var bytes = envelope
        var keys = Set<String>()
        func flush() {
            if !current.isEmpty { plan.chunks.append(current) }
            current = []
            bytes = envelope
            keys = []
        }
        for item in items {
            let itemSize = size(item)
            if let maxItem, itemSize > maxItem {
                plan.oversize.append(item)
                continue
            }
            if let maxPayload, envelope + itemSize > maxPayload {
                plan.oversize.append(item)
                continue
            }
            let itemKey = key?(item)
            let added = current.isEmpty ? itemSize : itemSize + separator
            let full = current.count >= max(1, maxItems) || (maxPayload.map { bytes + added > $0 } ?? false)
            if full || (itemKey.map { keys.contains($0) } ?? false) { flush() }
            bytes += current.isEmpty ? itemSize : itemSize + separator
            current.append(item)
            if let itemKey { keys.insert(itemKey) }
        }
        flush()
        return plan
    }
}
