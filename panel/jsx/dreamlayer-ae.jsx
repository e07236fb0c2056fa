/*
 * DreamLayer: After Effects side of the CEP panel (ExtendScript, ES3).
 * The panel calls these functions through CSInterface.evalScript; arguments
 * arrive as JSON object literals, results go back as JSON strings, errors as
 * {"error": "..."}. The frame arithmetic lives in the panel (ae-timing.ts);
 * this file reads facts and executes a decided plan, nothing more.
 * It mirrors panel/src/host/ae-uxp-backend.ts member for member.
 */

function dl_quote(s) {
  var out = '"';
  for (var i = 0; i < s.length; i++) {
    var c = s.charAt(i);
    var n = s.charCodeAt(i);
    if (c === '"' || c === '\\') out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (n < 32 || n > 126) out += '\\u' + ('0000' + n.toString(16)).slice(-4);
    else out += c;
  }
  return out + '"';
}

/* ExtendScript has no JSON object. */
function dl_json(v) {
  if (v === null || v === undefined) return 'null';
  var t = typeof v;
  if (t === 'number') return isFinite(v) ? String(v) : 'null';
  if (t === 'boolean') return v ? 'true' : 'false';
  if (t === 'string') return dl_quote(v);
  var parts = [];
  if (v instanceof Array) {
    for (var i = 0; i < v.length; i++) parts.push(dl_json(v[i]));
    return '[' + parts.join(',') + ']';
  }
  for (var k in v) {
    if (v.hasOwnProperty(k) && typeof v[k] !== 'function' && v[k] !== undefined) parts.push(dl_quote(k) + ':' + dl_json(v[k]));
  }
  return '{' + parts.join(',') + '}';
}

function dl_path(f) {
  if (!f) return null;
  if (typeof f === 'string') return f;
  return f.fsName || null;
}

var DL_STILL_EXT = { png: 1, jpg: 1, jpeg: 1, tif: 1, tiff: 1, psd: 1, exr: 1, bmp: 1, gif: 1, webp: 1, dpx: 1, tga: 1, heic: 1, avif: 1 };

function dl_isStillPath(p) {
  var m = /\.([A-Za-z0-9]+)$/.exec(p || '');
  return !!(m && DL_STILL_EXT[m[1].toLowerCase()]);
}

function dl_isComp(item) {
  return !!item && (typeof item.layer === 'function' || item.numLayers !== undefined) && item.frameRate !== undefined;
}

function dl_kind(layer) {
  if (layer.adjustmentLayer) return 'adjustment';
  var src = layer.source;
  if (!src) return 'other';
  if (dl_isComp(src)) return 'comp';
  var ms = src.mainSource;
  if (ms && ms.file !== undefined && ms.file !== null) {
    if (ms.isStill) return 'still';
    return dl_isStillPath(dl_path(ms.file)) ? 'sequence' : 'footage';
  }
  if (ms && ms.color !== undefined) return 'solid';
  if (src.file) return 'footage';
  return 'other';
}

function dl_raw(layer, index, comp) {
  var src = layer.source;
  var kind = dl_kind(layer);
  var ms = src ? src.mainSource : null;
  var hasFile = kind === 'footage' || kind === 'still' || kind === 'sequence';
  return {
    index: index,
    id: typeof layer.id === 'number' ? layer.id : null,
    name: String(layer.name),
    kind: kind,
    filePath: hasFile ? dl_path(src.file || (ms ? ms.file : null)) : null,
    footageMissing: !!(src && src.footageMissing),
    isStill: kind === 'still' || !!(ms && ms.isStill),
    width: Number(layer.width !== undefined ? layer.width : src ? src.width : comp.width),
    height: Number(layer.height !== undefined ? layer.height : src ? src.height : comp.height),
    fps: Number((src && src.frameRate) || comp.frameRate),
    duration: Number(src && src.duration !== undefined ? src.duration : comp.duration),
    inPoint: Number(layer.inPoint),
    outPoint: Number(layer.outPoint),
    startTime: Number(layer.startTime),
    stretch: Number(layer.stretch !== undefined ? layer.stretch : 100),
    timeRemapEnabled: !!layer.timeRemapEnabled,
    sourceId: src && typeof src.id === 'number' ? src.id : null
  };
}

function dl_findComp(compId) {
  var project = app.project;
  var c = null;
  try {
    if (typeof project.itemByID === 'function') c = project.itemByID(compId);
  } catch (e) {
    c = null;
  }
  if (c) return c;
  for (var i = 1; i <= project.numItems; i++) {
    var it = project.item(i);
    if (it && it.id === compId) return it;
  }
  return null;
}

function dl_findLayer(comp, key) {
  var n = comp.numLayers;
  var i, l;
  if (key.id !== null && key.id !== undefined) {
    for (i = 1; i <= n; i++) {
      l = comp.layer(i);
      if (l && l.id === key.id) return { layer: l, index: i };
    }
  }
  if (key.index <= n) {
    l = comp.layer(key.index);
    if (l && l.name === key.name) return { layer: l, index: key.index };
  }
  for (i = 1; i <= n; i++) {
    l = comp.layer(i);
    if (l && l.name === key.name) return { layer: l, index: i };
  }
  return null;
}

function dl_try(fn) {
  try {
    return dl_json(fn());
  } catch (e) {
    return dl_json({ error: String(e && e.message ? e.message : e) });
  }
}

function dl_readSelection() {
  return dl_try(function () {
    var comp = app.project ? app.project.activeItem : null;
    if (!comp || !dl_isComp(comp)) return { status: 'no-comp' };
    var c = { id: comp.id, name: String(comp.name), frameRate: comp.frameRate };
    var sel = comp.selectedLayers || [];
    if (sel.length === 0) return { status: 'none', comp: c };
    if (sel.length > 1) return { status: 'several', comp: c, count: sel.length };
    return { status: 'ok', comp: c, layer: dl_raw(sel[0], sel[0].index, comp) };
  });
}

function dl_readLayer(key) {
  return dl_try(function () {
    var comp = dl_findComp(key.compId);
    if (!comp) return { layer: null };
    var hit = dl_findLayer(comp, key);
    return { layer: hit ? dl_raw(hit.layer, hit.index, comp) : null };
  });
}

function dl_place(plan) {
  return dl_try(function () {
    var project = app.project;
    var comp = dl_findComp(plan.source.compId);
    if (!comp) throw new Error('the composition of "' + plan.source.name + '" is gone');
    var src = dl_findLayer(comp, plan.source);
    if (!src) throw new Error('the layer "' + plan.source.name + '" is gone');
    app.beginUndoGroup(plan.undoName);
    try {
      var existing = null;
      for (var i = 1; i <= comp.numLayers; i++) {
        var l = comp.layer(i);
        if (l && l !== src.layer && l.name === plan.resultName && l.source && l.source.mainSource) existing = l;
      }
      var layer, item;
      if (existing) {
        item = existing.source;
        if (plan.sequence) item.replaceWithSequence(new File(plan.file), false);
        else item.replace(new File(plan.file));
        if (plan.sequence) item.mainSource.conformFrameRate = plan.fps;
        layer = existing;
      } else {
        var io = new ImportOptions(new File(plan.file));
        io.sequence = plan.sequence;
        item = project.importFile(io);
        if (plan.sequence) item.mainSource.conformFrameRate = plan.fps;
        layer = comp.layers.add(item);
        layer.name = plan.resultName;
      }
      layer.stretch = plan.placement.stretch;
      layer.startTime = plan.placement.startTime;
      layer.inPoint = plan.placement.inPoint;
      layer.outPoint = plan.placement.outPoint;
      var srcNow = dl_findLayer(comp, plan.source);
      if (srcNow) layer.moveBefore(srcNow.layer);
      return { layerIndex: layer.index, replaced: !!existing };
    } finally {
      app.endUndoGroup();
    }
  });
}

function dl_renderComp(plan) {
  return dl_try(function () {
    var project = app.project;
    var comp = dl_findComp(plan.compId);
    if (!comp) throw new Error('the precomp to render is gone');
    var rqItem = project.renderQueue.items.add(comp);
    try {
      rqItem.timeSpanStart = plan.start;
      rqItem.timeSpanDuration = plan.duration;
      var om = rqItem.outputModule(1);
      var templates = om.templates || [];
      var png = null;
      for (var i = 0; i < templates.length; i++) if (/png/i.test(templates[i])) png = png || templates[i];
      if (!png) throw new Error('no render template writes a PNG sequence (add one named "PNG Sequence" in Edit > Templates > Output Module)');
      om.applyTemplate(png);
      om.file = new File(plan.outputPath);
      project.renderQueue.render();
    } finally {
      try {
        rqItem.remove();
      } catch (e2) {
        /* a finished item may refuse removal */
      }
    }
    return { ok: true };
  });
}

/* Folders where the daemon's discovery file may live. */
function dl_userFolders() {
  return dl_try(function () {
    return { userData: Folder.userData ? Folder.userData.fsName : null, home: Folder('~').fsName, os: String($.os) };
  });
}
