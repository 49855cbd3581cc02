//! The layered top-down layout of a definition graph, computed here so that
//! the page only draws what it is given.
//!
//! The classic layered method, kept small: cycles are broken by turning
//! the edges a depth-first search finds going back; each node goes to the
//! layer of its longest path from a source (longest-path layering); an
//! edge spanning several layers passes through one placeholder per layer
//! it crosses, so that it takes part in the ordering; nodes are ordered
//! within their layers by alternate downward and upward barycentre sweeps,
//! keeping the order with the fewest crossings seen. Everything is
//! deterministic: the same graph always gets the same picture.

/// The width of a node's box, in SVG units.
pub(crate) const NODE_WIDTH: f64 = 190.0;
/// The height of a node's box.
pub(crate) const NODE_HEIGHT: f64 = 46.0;
/// The space between two boxes of a layer.
const HORIZONTAL_GAP: f64 = 40.0;
/// The space between two layers, where edge labels go.
const VERTICAL_GAP: f64 = 70.0;
/// The space around the drawing.
const MARGIN: f64 = 20.0;
/// How many ordering sweeps are tried.
const SWEEPS: usize = 12;

/// Where a node goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placement {
    /// Its layer, 0 at the top.
    pub(crate) layer: usize,
    /// Its place within the layer, 0 at the left.
    pub(crate) order: usize,
    /// The centre of its box.
    pub(crate) x: f64,
    /// The centre of its box.
    pub(crate) y: f64,
}

/// A laid-out graph.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    /// One per node, in the order the nodes were given.
    pub(crate) nodes: Vec<Placement>,
    /// One polyline per edge, in the order the edges were given, from the
    /// border of its source's box to the border of its target's.
    pub(crate) edges: Vec<Vec<(f64, f64)>>,
    /// The drawing's size.
    pub(crate) width: f64,
    /// The drawing's size.
    pub(crate) height: f64,
}

/// The layered graph being ordered: real nodes first, then placeholders.
struct Layered {
    layer: Vec<usize>,
    /// Per vertex, its neighbours one layer up.
    up: Vec<Vec<usize>>,
    /// Per vertex, its neighbours one layer down.
    down: Vec<Vec<usize>>,
    /// Per original edge, the vertices it passes, top to bottom.
    chains: Vec<Vec<usize>>,
}

/// Lays out `node_count` nodes joined by `edges` (source, target indices).
/// Edges that name no node are drawn as nothing (an empty polyline).
pub(crate) fn layout(node_count: usize, edges: &[(usize, usize)]) -> Layout {
    let valid = |&(from, to): &(usize, usize)| from < node_count && to < node_count && from != to;
    let reversed = back_edges(node_count, edges);
    let downward: Vec<Option<(usize, usize)>> = edges
        .iter()
        .zip(&reversed)
        .map(|(edge, &back)| valid(edge).then_some(if back { (edge.1, edge.0) } else { *edge }))
        .collect();
    let layers = longest_path_layers(node_count, &downward);
    let layered = with_placeholders(layers, &downward);
    let orders = order_layers(&layered);
    let position = positions(&orders);
    let widest = orders.iter().map(Vec::len).max().unwrap_or(0);
    let slot = NODE_WIDTH + HORIZONTAL_GAP;
    let centre = |vertex: usize| {
        let layer = layered.layer[vertex];
        let offset = (widest - orders[layer].len()) as f64 * slot / 2.0;
        (
            MARGIN + offset + position[vertex] as f64 * slot + NODE_WIDTH / 2.0,
            MARGIN + layer as f64 * (NODE_HEIGHT + VERTICAL_GAP) + NODE_HEIGHT / 2.0,
        )
    };
    let nodes = (0..node_count)
        .map(|node| {
            let (x, y) = centre(node);
            Placement {
                layer: layered.layer[node],
                order: position[node],
                x,
                y,
            }
        })
        .collect();
    let edges = layered
        .chains
        .iter()
        .zip(&reversed)
        .map(|(chain, &back)| {
            let mut points: Vec<(f64, f64)> = chain.iter().map(|&vertex| centre(vertex)).collect();
            if let [first, .., last] = points.as_mut_slice() {
                first.1 += NODE_HEIGHT / 2.0;
                last.1 -= NODE_HEIGHT / 2.0;
            }
            if back {
                points.reverse();
            }
            points
        })
        .collect();
    Layout {
        nodes,
        edges,
        width: 2.0 * MARGIN + span(widest, slot, HORIZONTAL_GAP),
        height: 2.0 * MARGIN + span(orders.len(), NODE_HEIGHT + VERTICAL_GAP, VERTICAL_GAP),
    }
}

/// The length of `count` boxes of `step` (box and gap) less the last gap.
fn span(count: usize, step: f64, gap: f64) -> f64 {
    if count == 0 {
        0.0
    } else {
        count as f64 * step - gap
    }
}

/// Which edges a depth-first search from each node in turn finds going
/// back to a node still on its path: turning those makes the graph acyclic.
fn back_edges(node_count: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut outgoing = vec![Vec::new(); node_count];
    for (index, &(from, to)) in edges.iter().enumerate() {
        if from < node_count && to < node_count && from != to {
            outgoing[from].push((to, index));
        }
    }
    // 0: not seen, 1: on the current path, 2: done.
    let mut state = vec![0u8; node_count];
    let mut back = vec![false; edges.len()];
    for root in 0..node_count {
        if state[root] != 0 {
            continue;
        }
        // An explicit stack (node, next outgoing edge to look at), so a
        // long chain cannot overflow the call stack.
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some((node, next)) = stack.last_mut() {
            let node = *node;
            if let Some(&(to, index)) = outgoing[node].get(*next) {
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => back[index] = true,
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    back
}

/// Each node's layer: 0 for a node nothing points to, else one more than
/// the deepest node pointing to it. `edges` must be acyclic.
fn longest_path_layers(node_count: usize, edges: &[Option<(usize, usize)>]) -> Vec<usize> {
    let mut incoming = vec![0usize; node_count];
    let mut outgoing = vec![Vec::new(); node_count];
    for &(from, to) in edges.iter().flatten() {
        incoming[to] += 1;
        outgoing[from].push(to);
    }
    let mut layer = vec![0usize; node_count];
    let mut ready: std::collections::VecDeque<usize> = (0..node_count)
        .filter(|&node| incoming[node] == 0)
        .collect();
    while let Some(node) = ready.pop_front() {
        for &to in &outgoing[node] {
            layer[to] = layer[to].max(layer[node] + 1);
            incoming[to] -= 1;
            if incoming[to] == 0 {
                ready.push_back(to);
            }
        }
    }
    layer
}

/// The layered graph, with a placeholder in every layer an edge crosses.
fn with_placeholders(mut layer: Vec<usize>, edges: &[Option<(usize, usize)>]) -> Layered {
    let node_count = layer.len();
    let mut up = vec![Vec::new(); node_count];
    let mut down = vec![Vec::new(); node_count];
    let mut chains = Vec::with_capacity(edges.len());
    for edge in edges {
        let Some((from, to)) = *edge else {
            chains.push(Vec::new());
            continue;
        };
        let mut chain = vec![from];
        for between in layer[from] + 1..layer[to] {
            let placeholder = layer.len();
            layer.push(between);
            up.push(Vec::new());
            down.push(Vec::new());
            chain.push(placeholder);
        }
        chain.push(to);
        for pair in chain.windows(2) {
            down[pair[0]].push(pair[1]);
            up[pair[1]].push(pair[0]);
        }
        chains.push(chain);
    }
    Layered {
        layer,
        up,
        down,
        chains,
    }
}

/// The vertices of each layer, left to right, after the barycentre sweeps.
fn order_layers(graph: &Layered) -> Vec<Vec<usize>> {
    let depth = graph.layer.iter().max().map_or(0, |deepest| deepest + 1);
    let mut orders = vec![Vec::new(); depth];
    for (vertex, &layer) in graph.layer.iter().enumerate() {
        orders[layer].push(vertex);
    }
    let mut best = orders.clone();
    let mut fewest = crossings(graph, &orders);
    for sweep in 0..SWEEPS {
        let downward = sweep % 2 == 0;
        let layers: Vec<usize> = if downward {
            (1..depth).collect()
        } else {
            (0..depth.saturating_sub(1)).rev().collect()
        };
        for layer in layers {
            let position = positions(&orders);
            let neighbours = if downward { &graph.up } else { &graph.down };
            let mut keyed: Vec<(f64, usize, usize)> = orders[layer]
                .iter()
                .map(|&vertex| {
                    let around = &neighbours[vertex];
                    let barycentre = if around.is_empty() {
                        position[vertex] as f64
                    } else {
                        around
                            .iter()
                            .map(|&other| position[other] as f64)
                            .sum::<f64>()
                            / around.len() as f64
                    };
                    (barycentre, position[vertex], vertex)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            orders[layer] = keyed.into_iter().map(|(_, _, vertex)| vertex).collect();
        }
        let count = crossings(graph, &orders);
        if count < fewest {
            fewest = count;
            best = orders.clone();
        }
    }
    best
}

/// Each vertex's place within its layer.
fn positions(orders: &[Vec<usize>]) -> Vec<usize> {
    let count = orders.iter().map(Vec::len).sum();
    let mut position = vec![0; count];
    for order in orders {
        for (place, &vertex) in order.iter().enumerate() {
            position[vertex] = place;
        }
    }
    position
}

/// How many pairs of segments cross between adjacent layers.
fn crossings(graph: &Layered, orders: &[Vec<usize>]) -> usize {
    let position = positions(orders);
    let mut total = 0;
    for order in orders {
        let segments: Vec<(usize, usize)> = order
            .iter()
            .flat_map(|&from| {
                graph.down[from]
                    .iter()
                    .map(move |&to| (from, to))
                    .collect::<Vec<_>>()
            })
            .map(|(from, to)| (position[from], position[to]))
            .collect();
        for (index, &(a_top, a_bottom)) in segments.iter().enumerate() {
            for &(b_top, b_bottom) in &segments[index + 1..] {
                if (a_top < b_top && a_bottom > b_bottom) || (a_top > b_top && a_bottom < b_bottom)
                {
                    total += 1;
                }
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_goes_straight_down_without_crossings() {
        let edges = [(0, 1), (1, 2), (2, 3)];
        let drawn = layout(4, &edges);
        let layers: Vec<usize> = drawn.nodes.iter().map(|node| node.layer).collect();
        assert_eq!(layers, [0, 1, 2, 3]);
        let xs: Vec<f64> = drawn.nodes.iter().map(|node| node.x).collect();
        assert!(xs.iter().all(|&x| x == xs[0]), "{xs:?}");
        for (edge, points) in edges.iter().zip(&drawn.edges) {
            assert_eq!(points.len(), 2);
            assert!(points[0].1 < points[1].1, "edge {edge:?} points down");
        }
    }

    #[test]
    fn a_node_goes_below_its_longest_path() {
        // 0 → 1 → 2 and 0 → 2: node 2 sits under 1, and the long edge
        // passes through a placeholder in layer 1.
        let drawn = layout(3, &[(0, 1), (1, 2), (0, 2)]);
        assert_eq!(drawn.nodes[2].layer, 2);
        assert_eq!(drawn.edges[2].len(), 3);
    }

    #[test]
    fn barycentres_untangle_two_crossed_pairs() {
        // Sources 0 and 1; 0 → 3, 1 → 2: given in crossed order.
        let drawn = layout(4, &[(0, 3), (1, 2)]);
        let left_of = |a: usize, b: usize| drawn.nodes[a].x < drawn.nodes[b].x;
        assert_eq!(left_of(0, 1), left_of(3, 2));
    }

    #[test]
    fn cycles_are_laid_out_and_keep_their_direction() {
        let drawn = layout(3, &[(0, 1), (1, 2), (2, 0)]);
        let mut layers: Vec<usize> = drawn.nodes.iter().map(|node| node.layer).collect();
        layers.sort_unstable();
        assert_eq!(layers, [0, 1, 2]);
        // The edge turned for layering still ends at its own target, 0.
        let back = drawn.edges[2].last().copied().unwrap();
        assert!((back.0 - drawn.nodes[0].x).abs() < 1e-9);
    }

    #[test]
    fn the_same_graph_gets_the_same_picture() {
        let edges: Vec<(usize, usize)> = (0..60).map(|i| (i % 17, (i * 7 + 3) % 40)).collect();
        assert_eq!(layout(40, &edges), layout(40, &edges));
    }

    #[test]
    fn bad_edges_draw_nothing() {
        let drawn = layout(2, &[(0, 5), (1, 1), (0, 1)]);
        assert!(drawn.edges[0].is_empty());
        assert!(drawn.edges[1].is_empty());
        assert_eq!(drawn.edges[2].len(), 2);
    }

    #[test]
    fn a_hundred_objects_lay_out_quickly() {
        let edges: Vec<(usize, usize)> = (1..100).map(|i| (i / 3, i)).collect();
        let started = std::time::Instant::now();
        let drawn = layout(100, &edges);
        assert_eq!(drawn.nodes.len(), 100);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
