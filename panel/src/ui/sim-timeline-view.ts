/**
 * The browser build's timeline: the simulated host's layers top to bottom,
 * click to select, results marked with the preview they were made from, and
 * a small form to add a layer backed by a file on the daemon's machine.
 */
import type { SimulatedHost, SimLayer } from '../host/simulated-host.ts';
import { clear, h } from './dom.ts';
import { htmlKit } from './widgets.ts';

const PX_PER_SECOND = 60;

function layerBar(l: SimLayer): HTMLElement {
  const seconds = (l.lastFrame - l.firstFrame + 1) / (l.fps || 1);
  const bar = h('div', { class: `sim-bar kind-${l.kind}${l.resultOf ? ' result' : ''}` });
  bar.style.marginLeft = `${Math.round(l.start * PX_PER_SECOND)}px`;
  bar.style.width = `${Math.max(24, Math.round(seconds * PX_PER_SECOND))}px`;
  if (l.kind === 'solid' && l.color) bar.style.backgroundColor = l.color;
  return bar;
}

/** The bar, with the result's preview beside it (a short clip's bar is too narrow to hold it). */
function layerTrack(l: SimLayer): HTMLElement {
  const track = h('div', { class: 'sim-track' }, layerBar(l));
  if (l.thumbnail) track.appendChild(h('img', { class: 'sim-thumb', src: l.thumbnail, alt: '', 'data-role': 'sim-thumb' }));
  return track;
}

export function mountTimeline(root: HTMLElement, host: SimulatedHost): void {
  const list = h('div', { class: 'sim-layers', 'data-role': 'timeline' });
  const name = htmlKit.textfield('sim-name', { value: '', placeholder: 'name' });
  const path = htmlKit.textfield('sim-path', { value: '', placeholder: '/absolute/path/clip.mp4 (empty = solid)' });
  const frames = htmlKit.textfield('sim-frames', { value: '0:23', placeholder: 'first:last' });
  const fps = htmlKit.textfield('sim-fps', { value: '24', placeholder: 'fps' });
  const size = htmlKit.textfield('sim-size', { value: '320x180', placeholder: 'WxH' });
  const add = htmlKit.button('sim-add', 'Add layer', 'secondary', () => {
    const [a, b] = frames.get().split(':').map((x) => Number(x.trim()));
    const [w, hh] = size.get().toLowerCase().split('x').map((x) => Number(x.trim()));
    const p = path.get().trim();
    if (![a, b, w, hh, Number(fps.get())].every((n) => Number.isFinite(n))) return;
    host.addLayer({ name: name.get().trim() || (p ? p.split(/[\\/]/).pop()! : 'Solid'), path: p || null, kind: p ? 'footage' : 'solid', firstFrame: a!, lastFrame: b!, fps: Number(fps.get()), width: w!, height: hh!, color: '#4a7bd0' });
  });
  const render = (): void => {
    clear(list);
    host.layers.forEach((l, i) => {
      const frameText = `${l.firstFrame}–${l.lastFrame} @ ${l.fps} fps · ${l.width}×${l.height}`;
      const row = h(
        'div',
        {
          class: `sim-layer${l.id === host.selectedId ? ' selected' : ''}${l.resultOf ? ' is-result' : ''}`,
          'data-role': 'sim-layer',
          'data-name': l.name,
          'data-kind': l.kind,
          'data-result': l.resultOf ? 'yes' : 'no',
          title: l.path ?? 'generated solid',
        },
        h('div', { class: 'sim-meta' }, h('span', { class: 'sim-index' }, String(i + 1)), h('span', { class: 'sim-name' }, l.name), h('span', { class: 'small' }, ` ${l.kind} · ${frameText}`)),
        layerTrack(l),
        h('div', { class: 'small sim-path', 'data-role': 'sim-path' }, l.path ?? 'generated solid (frames mode)'),
      );
      row.addEventListener('click', () => host.select(l.id));
      list.appendChild(row);
    });
    if (host.layers.length === 0) list.appendChild(h('div', { class: 'small' }, 'No layers: add one below.'));
  };
  host.onChange(render);
  render();
  root.appendChild(h('div', { class: 'sim-title' }, 'Simulated timeline (browser host)'));
  root.appendChild(list);
  root.appendChild(h('div', { class: 'sim-form line' }, name.el, path.el, frames.el, fps.el, size.el, add.el));
}
