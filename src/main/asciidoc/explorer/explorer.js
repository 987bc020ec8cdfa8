/*
 * minibert's attention explorer: one head's attention as lines between the tokens (after bertviz's head view) and as
 * a heat map, with the layer × head grid of thumbnails to jump from. Plain JavaScript and SVG, nothing loaded from
 * outside the site: the data is explorer/attention.js, which the build writes from a checkpoint (ExplorerData) and
 * which sets window.minibertAttention before this script runs.
 */
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var HEAD_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#e377c2',
    '#7f7f7f', '#bcbd22', '#393b79', '#637939'];

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) {
        e.setAttribute(k, attrs[k]);
      }
    }
    if (parent) {
      parent.appendChild(e);
    }
    return e;
  }

  function html(name, attrs, parent, text) {
    var e = document.createElement(name);
    for (var k in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, k)) {
        e.setAttribute(k, attrs[k]);
      }
    }
    if (text !== undefined) {
      e.textContent = text;
    }
    if (parent) {
      parent.appendChild(e);
    }
    return e;
  }

  /* A head's weights: n × n bytes in base64, row i = query i over keys 0 … n − 1, weight = byte / 255. */
  function decode(base64, n) {
    var bytes = atob(base64);
    if (bytes.length !== n * n) {
      throw new Error('a head of ' + n + ' tokens needs ' + n * n + ' weights, found ' + bytes.length);
    }
    var rows = [];
    for (var i = 0; i < n; i++) {
      var row = new Float64Array(n);
      for (var j = 0; j < n; j++) {
        row[j] = bytes.charCodeAt(i * n + j) / 255;
      }
      rows.push(row);
    }
    return rows;
  }

  /* The largest weight of a head: shades are drawn relative to it, so that a nearly uniform head still shows its shape. */
  function largest(w) {
    var m = 0;
    for (var i = 0; i < w.length; i++) {
      for (var j = 0; j < w[i].length; j++) {
        m = Math.max(m, w[i][j]);
      }
    }
    return m > 0 ? m : 1;
  }

  function colour(head) {
    return HEAD_COLOURS[head % HEAD_COLOURS.length];
  }

  function label(token) {
    return token.length > 14 ? token.substring(0, 13) + '…' : token;
  }

  function Explorer(root, data) {
    this.root = root;
    this.data = data;
    this.sentence = 0;
    this.layer = 0;
    this.head = 0;
    this.cache = {};
    this.build();
    this.show();
  }

  Explorer.prototype.weights = function (s, l, h) {
    var key = s + '/' + l + '/' + h;
    if (!this.cache[key]) {
      var sentence = this.data.sentences[s];
      this.cache[key] = decode(sentence.attention[l][h], sentence.tokens.length);
    }
    return this.cache[key];
  };

  Explorer.prototype.build = function () {
    var self = this, d = this.data;
    this.root.textContent = '';
    var controls = html('div', {'class': 'ax-controls'}, this.root);
    var pick = function (text, id, options, onChange) {
      var wrap = html('label', {'for': id}, controls, text + ' ');
      var select = html('select', {id: id}, wrap);
      options.forEach(function (o, i) {
        html('option', {value: String(i)}, select, o);
      });
      select.addEventListener('change', function () {
        onChange(parseInt(select.value, 10));
      });
      return select;
    };
    this.sentenceSelect = pick('Sentence', 'ax-sentence', d.sentences.map(function (s, i) {
      var words = s.tokens.slice(1, 8).join(' ');
      return (i + 1) + '. ' + s.source + ': ' + words + (s.tokens.length > 8 ? ' …' : '');
    }), function (v) { self.sentence = v; self.show(); });
    var layers = [], heads = [];
    for (var l = 0; l < d.layers; l++) {
      layers.push(String(l));
    }
    for (var h = 0; h < d.heads; h++) {
      heads.push(String(h));
    }
    this.layerSelect = pick('Layer', 'ax-layer', layers, function (v) { self.layer = v; self.show(); });
    this.headSelect = pick('Head', 'ax-head', heads, function (v) { self.head = v; self.show(); });
    html('p', {'class': 'ax-model'}, this.root, 'Model: ' + d.model + '. Hover over (or tap) a token on the left to see ' +
        'only its lines; click a thumbnail below to jump to that head.');
    this.scale = html('p', {'class': 'ax-scale'}, this.root);
    var views = html('div', {'class': 'ax-views'}, this.root);
    this.linesBox = html('div', {'class': 'ax-lines'}, views);
    this.heatBox = html('div', {'class': 'ax-heat'}, views);
    html('p', {'class': 'ax-grid-title'}, this.root, 'Every layer (rows) and head (columns) on this sentence:');
    this.grid = html('div', {'class': 'ax-grid', role: 'group', 'aria-label': 'layers and heads'}, this.root);
    this.grid.style.gridTemplateColumns = 'repeat(' + d.heads + ', auto)';
  };

  Explorer.prototype.show = function () {
    this.sentenceSelect.value = String(this.sentence);
    this.layerSelect.value = String(this.layer);
    this.headSelect.value = String(this.head);
    this.root.setAttribute('data-sentence', String(this.sentence));
    this.root.setAttribute('data-layer', String(this.layer));
    this.root.setAttribute('data-head', String(this.head));
    var s = this.data.sentences[this.sentence];
    var w = this.weights(this.sentence, this.layer, this.head);
    this.scale.textContent = 'Layer ' + this.layer + ', head ' + this.head + ': the darkest line and cell is its largest ' +
        'weight on this sentence, ' + largest(w).toFixed(3) + ', and the others are shaded in proportion; uniform ' +
        'attention over the ' + s.tokens.length + ' tokens would give each ' + (1 / s.tokens.length).toFixed(3) + '.';
    this.drawLines(s.tokens, s.types, w);
    this.drawHeat(s.tokens, w);
    this.drawGrid();
  };

  /* The head view: each token twice, queries on the left and keys on the right, a line per weight. */
  Explorer.prototype.drawLines = function (tokens, types, w) {
    var n = tokens.length, rowH = 18, left = 118, right = 232, top = 22;
    var svg = el('svg', {width: 350, height: top + n * rowH + 8, viewBox: '0 0 350 ' + (top + n * rowH + 8),
      'class': 'ax-lines-svg', role: 'img',
      'aria-label': 'attention of layer ' + this.layer + ', head ' + this.head + ' as lines between tokens'});
    el('text', {x: left, y: 12, 'text-anchor': 'end', 'class': 'ax-caption'}, svg).textContent = 'query';
    el('text', {x: right, y: 12, 'class': 'ax-caption'}, svg).textContent = 'key';
    var lines = el('g', {'class': 'ax-line-group'}, svg), byQuery = [], c = colour(this.head), max = largest(w);
    for (var i = 0; i < n; i++) {
      byQuery.push([]);
      for (var j = 0; j < n; j++) {
        if (w[i][j] / max < 0.02) {
          continue;
        }
        var line = el('line', {x1: left + 4, y1: top + i * rowH + rowH / 2 - 4, x2: right - 4, y2: top + j * rowH + rowH / 2 - 4,
          stroke: c, 'stroke-width': 2, 'stroke-opacity': (w[i][j] / max).toFixed(3)}, lines);
        byQuery[i].push(line);
      }
    }
    var all = [].concat.apply([], byQuery);
    var focus = function (q) {
      all.forEach(function (line) { line.style.display = q < 0 ? '' : 'none'; });
      if (q >= 0) {
        byQuery[q].forEach(function (line) { line.style.display = ''; });
      }
    };
    for (var k = 0; k < n; k++) {
      var fill = types[k] === 1 ? '#7a3e00' : '#222';
      var q = el('text', {x: left, y: top + k * rowH + rowH / 2, 'text-anchor': 'end', fill: fill, 'class': 'ax-token', tabindex: 0},
          svg);
      q.textContent = label(tokens[k]);
      (function (index, node) {
        node.addEventListener('mouseenter', function () { focus(index); });
        node.addEventListener('focus', function () { focus(index); });
        node.addEventListener('mouseleave', function () { focus(-1); });
        node.addEventListener('blur', function () { focus(-1); });
      })(k, q);
      el('text', {x: right, y: top + k * rowH + rowH / 2, fill: fill, 'class': 'ax-token'}, svg).textContent = label(tokens[k]);
    }
    this.linesBox.textContent = '';
    this.linesBox.appendChild(svg);
  };

  /* The heat map: a row per query, a column per key, darker for more weight. */
  Explorer.prototype.drawHeat = function (tokens, w) {
    var n = tokens.length, cell = Math.max(6, Math.min(14, Math.floor(300 / n))), labelW = 96, top = 96;
    var size = n * cell, c = colour(this.head), max = largest(w);
    var svg = el('svg', {width: labelW + size + 8, height: top + size + 8, viewBox: '0 0 ' + (labelW + size + 8) + ' ' + (top + size + 8),
      'class': 'ax-heat-svg', role: 'img', 'aria-label': 'attention of layer ' + this.layer + ', head ' + this.head + ' as a heat map'});
    for (var k = 0; k < n; k++) {
      el('text', {x: labelW - 4, y: top + k * cell + cell - 2, 'text-anchor': 'end', 'class': 'ax-heat-label',
        'font-size': Math.min(11, cell)}, svg).textContent = label(tokens[k]);
      el('text', {transform: 'translate(' + (labelW + k * cell + cell - 2) + ',' + (top - 4) + ') rotate(-90)',
        'class': 'ax-heat-label', 'font-size': Math.min(11, cell)}, svg).textContent = label(tokens[k]);
    }
    el('rect', {x: labelW, y: top, width: size, height: size, fill: '#fff', stroke: '#999'}, svg);
    for (var i = 0; i < n; i++) {
      for (var j = 0; j < n; j++) {
        if (w[i][j] / max < 0.01) {
          continue;
        }
        var r = el('rect', {x: labelW + j * cell, y: top + i * cell, width: cell, height: cell, fill: c,
          'fill-opacity': (w[i][j] / max).toFixed(3)}, svg);
        el('title', {}, r).textContent = tokens[i] + ' → ' + tokens[j] + ': ' + w[i][j].toFixed(3);
      }
    }
    this.heatBox.textContent = '';
    this.heatBox.appendChild(svg);
  };

  /* The thumbnails: every layer and head on the current sentence; the current one is outlined. */
  Explorer.prototype.drawGrid = function () {
    var self = this, d = this.data, s = this.data.sentences[this.sentence], n = s.tokens.length, size = 56;
    this.grid.textContent = '';
    for (var l = 0; l < d.layers; l++) {
      for (var h = 0; h < d.heads; h++) {
        var current = l === this.layer && h === this.head;
        var button = html('button', {type: 'button', 'class': 'ax-thumb' + (current ? ' ax-current' : ''),
          'aria-pressed': current ? 'true' : 'false', 'aria-label': 'layer ' + l + ', head ' + h,
          'data-layer': String(l), 'data-head': String(h)}, this.grid);
        var svg = el('svg', {width: size, height: size, viewBox: '0 0 ' + n + ' ' + n, 'aria-hidden': 'true'}, button);
        el('rect', {x: 0, y: 0, width: n, height: n, fill: '#fff'}, svg);
        var w = this.weights(this.sentence, l, h), c = colour(h), max = largest(w);
        for (var i = 0; i < n; i++) {
          for (var j = 0; j < n; j++) {
            if (w[i][j] / max >= 0.05) {
              el('rect', {x: j, y: i, width: 1, height: 1, fill: c, 'fill-opacity': (w[i][j] / max).toFixed(2)}, svg);
            }
          }
        }
        html('span', {'class': 'ax-thumb-label'}, button, l + '.' + h);
        (function (layer, head) {
          button.addEventListener('click', function () {
            self.layer = layer;
            self.head = head;
            self.show();
          });
        })(l, h);
      }
    }
  };

  function start() {
    var roots = document.querySelectorAll('.attention-explorer');
    if (roots.length === 0) {
      return;
    }
    var data = window.minibertAttention;
    roots.forEach(function (root) {
      if (!data || data.format !== 1) {
        root.textContent = 'The explorer\'s data (explorer/attention.js) is missing or of another format.';
        return;
      }
      new Explorer(root, data);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
