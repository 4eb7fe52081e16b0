// brain_tumor serve's page: sends each chosen scan to /api/predict and shows what comes back.
// No framework, nothing loaded from elsewhere. With a token, open the page as /#token=SECRET.
'use strict';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
let card = null;  // the model card, once loaded

const $ = (id) => document.getElementById(id);
const percent = (p) => (100 * p).toFixed(p > 0.999 || p < 0.001 ? 2 : 1) + '%';

// One line on calibration from the cross-validation's reliability bins.
function calibrationLine(p) {
  if (!card || !card.cv) {
    return 'No cross-validation figures were given to this server, so how far this ' +
           'probability can be trusted is unknown.';
  }
  const bins = card.cv.reliability_bins;
  const bin = bins.find((b, i) => p >= b.lower && (p < b.upper || i === bins.length - 1));
  const range = bin.lower.toFixed(1) + '–' + bin.upper.toFixed(1);
  if (!bin.count) return 'No scan was given ' + range + ' in cross-validation.';
  return 'Of the ' + bin.count + ' scan' + (bin.count === 1 ? '' : 's') + ' given ' + range +
         ' in cross-validation, ' + Math.round(100 * bin.fraction_positive) + '% had a tumour.';
}

function drawScan(canvas, result) {
  const image = new Image();
  image.onload = () => {
    canvas.width = result.width;
    canvas.height = result.height;
    const g = canvas.getContext('2d');
    g.drawImage(image, 0, 0);
    const [x0, y0, x1, y1] = result.crop;
    g.lineWidth = Math.max(2, Math.round(result.width / 150));
    g.strokeStyle = '#ffd400';
    g.strokeRect(x0, y0, x1 - x0, y1 - y0);
  };
  image.src = 'data:image/jpeg;base64,' + result.image_jpeg;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'the scan, ' + result.width + ' by ' + result.height +
                      ' pixels, with the brain region from (' + result.crop.join(', ') + ')');
}

function showResult(result) {
  const item = $('result-template').content.firstElementChild.cloneNode(true);
  item.querySelector('.name').textContent = result.file;
  const label = item.querySelector('.label');
  label.textContent = result.label === 'yes' ? 'Tumour (yes)' : 'No tumour (no)';
  label.classList.add(result.label);
  item.querySelector('.percent').textContent = percent(result.probability);
  item.querySelector('.exact').textContent = 'p = ' + result.probability.toFixed(6);
  const bar = item.querySelector('.bar');
  bar.setAttribute('aria-label', 'probability of a tumour ' + percent(result.probability) +
                   ', threshold 50%');
  item.querySelector('.fill').style.width = (100 * result.probability) + '%';
  item.querySelector('.calibration').textContent = calibrationLine(result.probability);
  drawScan(item.querySelector('canvas'), result);
  const input = item.querySelector('img.input'), heat = item.querySelector('img.heat');
  input.src = 'data:image/png;base64,' + result.input_png;
  input.alt = 'the brain region as the network saw it';
  heat.src = 'data:image/png;base64,' + result.gradcam_png;
  heat.alt = 'Grad-CAM heat map over it';
  const slider = item.querySelector('input[type=range]');
  const setOpacity = () => { heat.style.opacity = slider.value / 100; };
  slider.addEventListener('input', setOpacity);
  setOpacity();
  $('results').append(item);
}

function showError(file, message) {
  const item = document.createElement('li');
  item.className = 'result error';
  item.setAttribute('role', 'alert');
  const name = document.createElement('h3');
  name.textContent = file;
  const text = document.createElement('p');
  text.className = 'message';
  text.textContent = message;
  item.append(name, text);
  $('results').append(item);
}

async function analyse(file) {
  try {
    const response = await fetch('/api/predict?name=' + encodeURIComponent(file.name), {
      method: 'POST', headers: { ...headers, 'Content-Type': 'application/octet-stream' },
      body: file,
    });
    const body = await response.json().catch(() => ({ error: 'the server answered ' +
                                                       response.status }));
    if (!response.ok && !Array.isArray(body)) return showError(file.name, body.error);
    for (const result of body) {
      if (result.error) showError(result.file, result.error);
      else showResult(result);
    }
  } catch (e) {
    showError(file.name, 'The server could not be reached: ' + e.message);
  }
}

async function analyseAll(files) {
  if (!files.length) return;
  const status = $('status');
  status.textContent = 'Analysing ' + files.length + ' scan' + (files.length > 1 ? 's' : '') +
                       '…';
  for (const file of files) await analyse(file);  // in order, so results appear as chosen
  status.textContent = 'Done: ' + files.length + ' scan' + (files.length > 1 ? 's' : '') +
                       ' analysed.';
}

function term(list, name, value) {
  const dt = document.createElement('dt'), dd = document.createElement('dd');
  dt.textContent = name;
  if (value instanceof Node) dd.append(value); else dd.textContent = value;
  list.append(dt, dd);
}

const interval = (x, ci) => x.toFixed(3) + ' (95% interval ' + ci[0].toFixed(3) + '–' +
                            ci[1].toFixed(3) + ')';

function showCard(c) {
  const root = $('card');
  root.textContent = '';
  root.className = 'card';
  const list = document.createElement('dl');
  term(list, 'Model', c.name + ' (' + c.format + ', recipe ' + c.recipe + ')');
  term(list, 'Input', c.input);
  term(list, 'Parameters', c.parameters.toLocaleString('en'));
  const layers = document.createElement('details');
  const summary = document.createElement('summary');
  summary.textContent = c.layers.length + ' layers';
  const ol = document.createElement('ol');
  for (const line of c.layers) {
    const li = document.createElement('li');
    li.textContent = line;
    ol.append(li);
  }
  layers.append(summary, ol);
  term(list, 'Architecture', layers);
  term(list, 'Label', 'yes (tumour) when the probability is over ' + c.threshold);
  if (c.cv) {
    term(list, 'Cross-validation', c.cv.folds + '-fold, seed ' + c.cv.seed + ', recipe ' +
         c.cv.recipe + ', ' + c.cv.scans + ' scans, each tested by a model that never saw it' +
         (c.cv.duplicates ? ' (duplicates merged: ' + c.cv.duplicates + ')' : '') +
         '. These figures describe the recipe, not this file.');
    term(list, 'Accuracy', interval(c.cv.accuracy, c.cv.accuracy_ci95));
    term(list, 'ROC AUC', interval(c.cv.roc_auc, c.cv.roc_auc_ci95));
    term(list, 'F1', c.cv.f1.toFixed(3));
    term(list, 'Calibration error (ECE)', c.cv.ece.toFixed(3));
  } else {
    term(list, 'Cross-validation', 'not given to this server (start it with --cv cv.json)');
  }
  term(list, 'Data', c.data);
  term(list, 'Use', c.disclaimer);
  root.append(list);
  if (c.keeps_uploads) $('privacy').textContent = 'This server keeps a copy of every scan sent.';
  else $('privacy').textContent = 'The scans go to this server only, which keeps none.';
}

fetch('/api/model', { headers })
  .then((r) => r.json().then((body) => {
    if (!r.ok) throw new Error(body.error);
    card = body;
    showCard(body);
  }))
  .catch((e) => { $('card').textContent = 'The model card could not be loaded: ' + e.message; });

$('files').addEventListener('change', (e) => { analyseAll([...e.target.files]); });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  analyseAll([...e.dataTransfer.files]);
});
