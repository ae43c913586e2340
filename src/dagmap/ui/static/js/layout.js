// Left-to-right layered layout of a DAG: longest-path layering, then barycenter sweeps to reduce edge
// crossings, keeping the members of a task group next to each other in each layer. Pure functions (no DOM).

/** Layer of each node: 0 for nodes without upstream, else 1 + the deepest upstream's layer. */
export function longestPathLayers(ids, edges) {
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  for (const e of edges) {
    if (!preds.has(e.target) || !succs.has(e.source) || e.source === e.target) continue;
    preds.get(e.target).push(e.source);
    succs.get(e.source).push(e.target);
  }
  const indegree = new Map(ids.map((id) => [id, preds.get(id).length]));
  const layer = new Map();
  const ready = ids.filter((id) => indegree.get(id) === 0);
  for (const id of ready) layer.set(id, 0);
  while (ready.length) {
    const id = ready.shift();
    for (const next of succs.get(id)) {
      layer.set(next, Math.max(layer.get(next) ?? 0, layer.get(id) + 1));
      indegree.set(next, indegree.get(next) - 1);
      if (indegree.get(next) === 0) ready.push(next);
    }
  }
  // A cycle (never in a valid DAG): put what is left after everything else rather than lose it.
  const deepest = Math.max(-1, ...layer.values());
  for (const id of ids) if (!layer.has(id)) layer.set(id, deepest + 1);
  return { layer, preds, succs };
}

function groupChain(groupId, parentOf) {
  const chain = [];
  const seen = new Set();
  for (let g = groupId; g && !seen.has(g); g = parentOf.get(g)) {
    seen.add(g);
    chain.unshift(g);
  }
  return chain;
}

/**
 * Order the nodes of one layer by `key` (a number per node), keeping groups contiguous: a group sorts by the
 * mean key of its members in this layer, recursively for nested groups.
 */
export function clusterSort(ids, key, groupOf, parentOf) {
  const root = { members: [], sub: new Map() };
  for (const id of ids) {
    let node = root;
    for (const g of groupChain(groupOf.get(id), parentOf)) {
      if (!node.sub.has(g)) {
        const child = { members: [], sub: new Map(), group: g };
        node.sub.set(g, child);
        node.members.push(child);
      }
      node = node.sub.get(g);
    }
    node.members.push(id);
  }
  const flatten = (node) => {
    const items = node.members.map((m) => {
      if (typeof m === "string") return { k: key.get(m), ids: [m] };
      const ids2 = flatten(m);
      return { k: ids2.reduce((a, id) => a + key.get(id), 0) / ids2.length, ids: ids2 };
    });
    items.sort((a, b) => a.k - b.k);
    return items.flatMap((i) => i.ids);
  };
  return flatten(root);
}

/**
 * Positions of nodes ({id, group_id}) for edges ({source, target}) and groups ({id, parent_id}).
 * Returns {pos: Map(id -> {x, y, layer}), boxes: [{id, x, y, width, height, depth}], width, height}.
 */
export function layoutDag(nodes, edges, groups = [], opts = {}) {
  const W = opts.nodeWidth ?? 190;
  const H = opts.nodeHeight ?? 56;
  const GAP_X = opts.gapX ?? 90;
  const GAP_Y = opts.gapY ?? 36;
  const PAD = opts.padding ?? 14;
  const LABEL = opts.groupLabel ?? 20;
  const ids = nodes.map((n) => n.id);
  const groupOf = new Map(nodes.map((n) => [n.id, n.group_id || null]));
  const parentOf = new Map(groups.map((g) => [g.id, g.parent_id || null]));
  const { layer, preds, succs } = longestPathLayers(ids, edges);
  const depthOfLayers = Math.max(0, ...layer.values()) + 1;
  const layers = Array.from({ length: depthOfLayers }, () => []);
  for (const id of ids) layers[layer.get(id)].push(id);

  const order = new Map();
  const renumber = () => layers.forEach((l) => l.forEach((id, i) => order.set(id, i)));
  layers.forEach((l, i) => (layers[i] = clusterSort(l, new Map(l.map((id, j) => [id, j])), groupOf, parentOf)));
  renumber();
  const sweep = (range, neighbours) => {
    for (const i of range) {
      const key = new Map();
      for (const id of layers[i]) {
        const around = neighbours.get(id);
        key.set(id, around.length ? around.reduce((a, n) => a + order.get(n), 0) / around.length : order.get(id));
      }
      layers[i] = clusterSort(layers[i], key, groupOf, parentOf);
      layers[i].forEach((id, j) => order.set(id, j));
    }
  };
  const down = [...layers.keys()].slice(1);
  const up = [...layers.keys()].reverse().slice(1);
  for (let pass = 0; pass < (opts.passes ?? 4); pass++) {
    sweep(down, preds);
    sweep(up, succs);
  }

  // Vertical placement: each task group is a band spanning its layers, so that no other node falls inside
  // its frame. Children of a group (nodes and subgroups) go in barycenter order, each as low as needed to
  // stay below what is already placed in any of its layers.
  const children = new Map([[null, []]]);
  const ensure = (g) => {
    if (children.has(g)) return;
    children.set(g, []);
    const parent = parentOf.get(g) ?? null;
    ensure(parent);
    children.get(parent).push({ group: g });
  };
  for (const id of ids) {
    const g = groupOf.get(id);
    if (g) ensure(g);
    children.get(g ?? null).push({ node: id });
  }
  const rel = new Map(); // node id -> y relative to its block
  const boxesRel = new Map(); // group id -> {y, height, minL, maxL} relative to its parent's block
  const block = (item) => {
    if (item.node) {
      const l = layer.get(item.node);
      return { minL: l, maxL: l, height: H, key: order.get(item.node), members: [item.node] };
    }
    const inner = children.get(item.group).map((c) => ({ c, b: block(c) }));
    inner.sort((a, b) => a.b.key - b.b.key);
    const top = item.group === null ? 0 : PAD + LABEL;
    const fill = new Map();
    let bottom = top;
    for (const { c, b } of inner) {
      let y = top;
      for (let l = b.minL; l <= b.maxL; l++) y = Math.max(y, fill.get(l) ?? top);
      for (let l = b.minL; l <= b.maxL; l++) fill.set(l, y + b.height + GAP_Y);
      bottom = Math.max(bottom, y + b.height);
      if (c.node) rel.set(c.node, { y, parent: item.group });
      else boxesRel.set(c.group, { ...boxesRel.get(c.group), y, parent: item.group });
    }
    const members = inner.flatMap(({ b }) => b.members);
    const minL = Math.min(...inner.map(({ b }) => b.minL));
    const maxL = Math.max(...inner.map(({ b }) => b.maxL));
    const height = bottom + (item.group === null ? 0 : PAD);
    if (item.group !== null) boxesRel.set(item.group, { ...boxesRel.get(item.group), height, minL, maxL });
    return { minL, maxL, height, key: members.reduce((a, id) => a + order.get(id), 0) / members.length, members };
  };
  const whole = block({ group: null });

  const depthOfGroup = (g) => groupChain(g, parentOf).length;
  const maxDepth = Math.max(0, ...ids.map((id) => depthOfGroup(groupOf.get(id))));
  const columnWidth = W + GAP_X + 2 * maxDepth * PAD;
  const originX = maxDepth * PAD + 10;
  const absY = new Map([[null, 10 + GAP_Y / 2]]); // room above the top row for edges routed around it
  const groupY = (g) => {
    if (!absY.has(g)) absY.set(g, groupY(boxesRel.get(g).parent) + boxesRel.get(g).y);
    return absY.get(g);
  };
  const pos = new Map();
  for (const id of ids) {
    const r = rel.get(id);
    pos.set(id, { x: originX + layer.get(id) * columnWidth, y: groupY(r.parent) + r.y, layer: layer.get(id) });
  }
  const boxes = [];
  for (const [g, b] of boxesRel) {
    const depth = depthOfGroup(g);
    const x = originX + b.minL * columnWidth - (maxDepth - depth + 1) * PAD;
    const right = originX + b.maxL * columnWidth + W + (maxDepth - depth + 1) * PAD;
    boxes.push({ id: g, x, y: groupY(g), width: right - x, height: b.height, depth });
  }
  boxes.sort((a, b) => a.depth - b.depth);
  const width = originX + (depthOfLayers - 1) * columnWidth + W + maxDepth * PAD + 20;
  return { pos, boxes, width, height: whole.height + 30 + GAP_Y, nodeWidth: W, nodeHeight: H };
}

/** Number of crossing edge pairs between adjacent layers (for tests and tuning). */
export function crossings(layout, edges) {
  const segs = edges
    .map((e) => [layout.pos.get(e.source), layout.pos.get(e.target)])
    .filter(([a, b]) => a && b && b.layer === a.layer + 1);
  let n = 0;
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      const [a1, b1] = segs[i];
      const [a2, b2] = segs[j];
      if (a1.layer !== a2.layer) continue;
      if ((a1.y - a2.y) * (b1.y - b2.y) < 0) n++;
    }
  }
  return n;
}

/**
 * The SVG path of an edge. An edge to the next column is one curve; a longer one would cross the tasks in
 * the columns between, so it runs along a free horizontal lane there (the free y nearest to its ends).
 */
export function edgePath(lay, source, target, opts = {}) {
  const W = lay.nodeWidth;
  const H = lay.nodeHeight;
  const GAP_X = opts.gapX ?? 90;
  const GAP_Y = opts.gapY ?? 36;
  const a = lay.pos.get(source);
  const b = lay.pos.get(target);
  const x1 = a.x + W;
  const y1 = a.y + H / 2;
  const x2 = b.x - 4;
  const y2 = b.y + H / 2;
  const curve = (xa, ya, xb, yb) => {
    const dx = Math.max(20, (xb - xa) / 2);
    return `C${xa + dx},${ya} ${xb - dx},${yb} ${xb},${yb}`;
  };
  if (b.layer - a.layer <= 1) return `M${x1},${y1} ${curve(x1, y1, x2, y2)}`;
  const blocked = [];
  for (const p of lay.pos.values()) {
    if (p.layer > a.layer && p.layer < b.layer) blocked.push([p.y - 6, p.y + H + 6]);
  }
  const free = (y) => blocked.every(([top, bottom]) => y < top || y > bottom);
  const candidates = [y1, y2, ...blocked.flatMap(([top, bottom]) => [top - GAP_Y / 4, bottom + GAP_Y / 4])];
  const cost = (y) => Math.abs(y - y1) + Math.abs(y - y2);
  const lane = candidates.filter(free).sort((p, q) => cost(p) - cost(q))[0] ?? Math.min(y1, y2);
  const xa = x1 + GAP_X / 2;
  const xb = x2 - GAP_X / 2 + 4;
  return `M${x1},${y1} ${curve(x1, y1, xa, lane)} L${xb},${lane} ${curve(xb, lane, x2, y2)}`;
}
