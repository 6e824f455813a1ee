// Places the service graph with dagre (a layered "Sugiyama" layout, served by the viewer from its
// own dependencies), off the page's main thread: services left to right by call depth, long edges
// routed through the gaps between boxes, and each edge's label a box of its own in the layout, so
// labels keep off services and off each other. graph-layout.js sends the sizes; boxes come back.

import { graphlib, layout } from '/vendor/dagre.js';

self.onmessage = ({ data }) => {
  self.postMessage({ id: data.id, placed: dagreLayout(data.sized) });
};

function dagreLayout({ nodes, edges, nodeHeight, labelHeight }) {
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranksep: 36, nodesep: 22, edgesep: 14, marginx: 14, marginy: 14 });
  for (const [id, width] of nodes) g.setNode(id, { width, height: nodeHeight });
  for (const [source, target, route, width] of edges)
    g.setEdge(source, target, { width, height: labelHeight, labelpos: 'c' }, route);
  layout(g);
  const placed = { nodes: new Map(), edges: new Map(), width: 0, height: 0 };
  for (const id of g.nodes()) {
    const { x, y, width, height } = g.node(id);
    placed.nodes.set(id, { x: x - width / 2, y: y - height / 2, width, height });
  }
  for (const ref of g.edges()) {
    const e = g.edge(ref);
    const label = { x: e.x - e.width / 2, y: e.y - e.height / 2, width: e.width, height: e.height };
    placed.edges.set(JSON.stringify([ref.v, ref.w, ref.name]), { points: e.points, label });
  }
  const { width, height } = g.graph();
  placed.width = Math.ceil(width);
  placed.height = Math.ceil(height);
  return placed;
}
