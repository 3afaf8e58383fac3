// The console: a few pages over job-service's /api, routed by the URL's hash (#/items, #/items/vm-01, #/protect,
// #/jobs, #/jobs/<name>, #/plans). Pages are built as DOM nodes (never HTML strings), so no value from the API can run as code.

import * as api from './api.js';

const FINAL_STATES = new Set(['Succeeded', 'Failed', 'Cancelled']);

// ---- small helpers ----

/** h('a', {href: '#/jobs'}, 'Jobs'): an element with attributes, 'on…' listeners and children (strings become text). */
function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces the element's children, skipping the absent ones (null, undefined, false) as h does. */
function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity)
    .filter(child => child !== null && child !== undefined && child !== false)
    .map(child => (child instanceof Node ? child : String(child))));
}

const byId = id => document.getElementById(id);

function bytes(count) {
  if (count === null || count === undefined) return '—';
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function time(instant) {
  return instant ? new Date(instant).toLocaleString() : '—';
}

function state(value) {
  return h('span', { class: `state state-${value}` }, value);
}

const LOCATIONS = { Primary: 'Primary (on-premises)', Recovery: 'Recovery (Azure)' };

function definitions(pairs) {
  return h('dl', { class: 'properties' },
    pairs.filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]));
}

function table(caption, headings, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headings.map(heading => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows));
}

// ---- problems and confirmations ----

function showProblem(error) {
  const box = byId('problem');
  fill(box);
  if (!error) return;
  if (error instanceof api.Problem) {
    const body = error.body || {};
    if (error.status === 403) {
      // The token is good but its role is not enough: signing in again with the same token would not help.
      const who = api.caller();
      box.append(h('p', {}, h('strong', {}, `403 Forbidden: your role (${who ? who.role : 'none'}) may not do this.`)),
        h('p', {}, body.type ? `${body.type}: ` : '', body.detail || error.message));
      return;
    }
    box.append(h('p', {}, h('strong', {}, `${error.status || ''} ${body.title || 'Refused'}`.trim()),
      body.type ? ` (${body.type})` : '', ': ', body.detail || error.message));
    if (error.status === 401) {
      box.append(h('button', { type: 'button', onclick: () => { api.signOut(); route(); } }, 'Sign in again'));
    }
  } else {
    box.append(h('p', {}, h('strong', {}, 'Error'), ': ', error.message || String(error)));
  }
}

/** Asks in a modal dialog; resolves true only when the person presses the confirming button. */
function confirmAction({ title, text, ok }) {
  const dialog = byId('confirm');
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = text;
  byId('confirm-ok').textContent = ok;
  dialog.returnValue = '';
  dialog.showModal();
  // Focus starts on Cancel: a stray Enter must not delete anything.
  byId('confirm-cancel').focus();
  return new Promise(resolve => dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true }));
}

/**
 * The Idempotency-Key of one intent: the same for every try of it (a double click, a retry after the network failed,
 * when the first request may have started the job), new once the API answered a refusal, so that trying again after
 * fixing what it said is a new request rather than a replay of the refusal.
 */
function intent() {
  let key = crypto.randomUUID();
  return {
    key: () => key,
    refused: error => {
      if (error instanceof api.Problem && error.status > 0) key = crypto.randomUUID();
    },
  };
}

/** A button that asks first (when confirm is given), then POSTs once for this intent. */
function actionButton({ label, path, body, confirm, onDone }) {
  const button = h('button', { type: 'button', class: 'action' }, label);
  const request = intent();
  button.addEventListener('click', async () => {
    if (confirm && !(await confirmAction(confirm))) return;
    button.disabled = true;
    try {
      showProblem(null);
      const job = await api.post(path, body, request.key());
      onDone(job);
    } catch (error) {
      request.refused(error);
      showProblem(error);
      button.disabled = false;
    }
  });
  return button;
}

function openJob(job) {
  if (job && job.name) location.hash = `#/jobs/${encodeURIComponent(job.name)}`;
}

// ---- protected items ----

async function itemsPage(view, who) {
  const page = await api.get('/api/replicationProtectedItems');
  const rows = page.value.map(item => {
    const p = item.properties;
    return h('tr', { 'data-item': item.name },
      h('th', { scope: 'row' }, h('a', { href: `#/items/${encodeURIComponent(item.name)}` }, item.name)),
      h('td', {}, state(p.protectionState), h('div', { class: 'hint' }, p.protectionStateDescription)),
      h('td', {}, LOCATIONS[p.activeLocation] || p.activeLocation),
      h('td', {}, state(p.replicationHealth || 'Normal')),
      h('td', {}, p.currentScenario
        ? h('a', { href: `#/jobs/${encodeURIComponent(p.currentScenario.jobId)}` }, p.currentScenario.scenarioName) : '—'),
      h('td', { class: 'operations' }, (p.allowedOperations || []).join(', ') || '—'));
  });
  fill(view,
    h('h1', { tabindex: -1 }, 'Protected items'),
    h('p', { class: 'buttons' }, h('button', { type: 'button', onclick: route }, 'Refresh'),
      who.canContribute ? h('a', { href: '#/protect', id: 'enable-replication' }, 'Enable replication') : null),
    rows.length === 0 ? h('p', {}, 'No protected items yet.')
      : table('Every protected item, its state, where it runs and what may be done with it now',
        ['Name', 'Protection state', 'Active location', 'Replication health', 'Current job', 'Allowed operations'], rows));
}

/**
 * The operations a button starts on an item or a plan (base: its API path), with the portal's confirmations; the
 * failback has its own form. afterFailback: the VMs run on-premises (activeLocation Primary).
 */
function operationSpecs(base, name, afterFailback) {
  return {
    PlannedFailover: afterFailback ? {
      label: 'Planned failover', path: `${base}/plannedFailover`, body: { properties: { failoverDirection: 'PrimaryToRecovery' } },
      confirm: { title: 'Confirm Planned Failover', ok: 'Fail over to Azure',
        text: 'From on-premises to Azure: the VM shuts down on-premises, its last changes are replicated, and it starts in Azure. No data is lost.' },
    } : null,
    UnplannedFailover: {
      label: 'Unplanned failover', path: `${base}/unplannedFailover`, body: { properties: { failoverDirection: 'PrimaryToRecovery' } },
      confirm: { title: 'Confirm Unplanned Failover', ok: 'Fail over to Azure',
        text: 'The VM starts in Azure from the latest recovery point, without replicating first: what it wrote after that point is not in Azure.' },
    },
    TestFailover: {
      label: 'Test failover', path: `${base}/testFailover`, body: { properties: { failoverDirection: 'PrimaryToRecovery' } },
      confirm: { title: 'Test failover', ok: 'Start test failover',
        text: `A test VM for '${name}' ('<vm>-test') starts in Azure from the latest recovery point; the VM keeps running and replicating.` },
    },
    TestFailoverCleanup: {
      label: 'Cleanup test failover', path: `${base}/testFailoverCleanup`, body: { properties: { comments: 'Cleaned up from the console' } },
      confirm: { title: 'Cleanup test failover', ok: 'Delete the test VM', text: 'The test VM and its disks are deleted in Azure.' },
    },
    Commit: {
      label: 'Commit', path: `${base}/failoverCommit`,
      confirm: afterFailback
        ? { title: 'Commit', ok: 'Commit', text: 'Commit deletes the Azure virtual machine and its disks and prepares the VM to be protected again. The failback can no longer be cancelled.' }
        : { title: 'Commit', ok: 'Commit', text: 'Commit completes the failover to Azure: it can no longer be cancelled, and the VM runs in Azure.' },
    },
    CancelFailover: {
      label: 'Cancel failover', path: `${base}/failoverCancel`,
      confirm: { title: 'Cancel failover', ok: 'Cancel failover', text: afterFailback
        ? 'The on-premises VM is turned off and the Azure VM starts again: the VM runs in Azure as before the failback.'
        : 'The Azure VM is deleted and the on-premises VM starts again, protected as before the failover.' },
    },
    ReverseReplicate: {
      label: 'Reverse Replicate', path: `${base}/reprotect`,
      confirm: { title: 'Reverse Replicate', ok: 'Reverse Replicate',
        text: 'Starts protecting the virtual machine from on-premises to Azure again, sending only the changes since the VM was turned off in Azure.' },
    },
    RepairReplication: {
      label: 'Resynchronize', path: `${base}/repairReplication`,
      confirm: { title: 'Resynchronize', ok: 'Resynchronize', text: 'Both sites hash every block and only the blocks that differ are sent.' },
    },
    DisableProtection: {
      label: 'Disable replication', path: `${base}/remove`, body: { properties: { disableProtectionReason: 'NotSpecified' } },
      contributorOnly: true,
      confirm: { title: 'Disable replication', ok: 'Disable replication and remove',
        text: `This removes '${name}' from Site Recovery and stops its replication; its replica storage in Azure is deleted. `
          + 'A VM that was failed over and runs in Azure is not removed or affected: it keeps running where it runs.' },
    },
  };
}

async function itemPage(view, name, who) {
  const item = await api.get(`/api/replicationProtectedItems/${encodeURIComponent(name)}`);
  const p = item.properties;
  const canFailBack = p.activeLocation === 'Recovery' && (p.allowedOperations || []).includes('PlannedFailover');
  const operations = operationSpecs(`/api/replicationProtectedItems/${encodeURIComponent(item.name)}`, item.name,
    p.activeLocation === 'Primary');
  const buttons = who.canOperate ? (p.allowedOperations || [])
    .map(operation => operations[operation])
    .filter(operation => operation && (!operation.contributorOnly || who.canContribute))
    .map(operation => actionButton({ ...operation, onDone: openJob })) : [];
  fill(view,
    h('p', {}, h('a', { href: '#/items' }, 'Protected items')),
    h('h1', { tabindex: -1 }, item.name),
    definitions([
      ['Protection state', [state(p.protectionState), ' ', p.protectionStateDescription || '']],
      ['Active location', LOCATIONS[p.activeLocation] || p.activeLocation],
      ['Replication health', state(p.replicationHealth || 'Normal')],
      ['Health errors', (p.healthErrors || []).length ? h('ul', {}, p.healthErrors.map(e => h('li', {}, e.errorMessage))) : null],
      ['Current job', p.currentScenario ? h('a', { href: `#/jobs/${encodeURIComponent(p.currentScenario.jobId)}` },
        `${p.currentScenario.scenarioName} since ${time(p.currentScenario.startTime)}`) : null],
      ['Allowed operations', (p.allowedOperations || []).join(', ') || 'none now'],
      ['RPO', p.rpoInSeconds === null || p.rpoInSeconds === undefined ? null : duration(p.rpoInSeconds)],
      ['Last successful failover', p.lastSuccessfulFailoverTime ? time(p.lastSuccessfulFailoverTime) : null],
      ['Hyper-V host', p.primaryProviderId],
      ['Virtual switch', p.primaryVirtualSwitchName],
      ['Azure VM', p.recoveryAzureVmName],
      ['Test failover', p.testFailoverStateDescription],
    ]),
    who.canOperate && buttons.length
      ? h('section', { 'aria-labelledby': 'actions-title' }, h('h2', { id: 'actions-title' }, 'Actions'), h('div', { class: 'buttons' }, buttons))
      : null,
    who.canOperate && !buttons.length && !canFailBack ? h('p', {}, 'No operation you may start is allowed on this item now.') : null,
    who.canOperate ? null : h('p', { class: 'hint' }, `Your role (${who.role}) may read only; operations need SiteRecovery.Operator.`),
    who.canOperate && canFailBack ? await failbackForm({
      start: `/api/replicationProtectedItems/${encodeURIComponent(item.name)}/plannedFailover`,
      estimate: `/api/replicationProtectedItems/${encodeURIComponent(item.name)}/failbackEstimate`,
      originalHost: p.primaryProviderId,
    }) : null);
}

/** The API's item names (ReplicationProtectedItemsResource.NAME), checked by the browser before the API checks them. */
const ITEM_NAME = '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}';

/**
 * "Enable replication": PUT of a new protected item. On-premises (Primary), its initial replication starts as an
 * EnableProtection job; in Azure after a committed failover (Recovery), it is only recorded, ready to fail back. The
 * host and its virtual switch come from the hosts that have registered, as their heartbeats reported them.
 */
async function protectPage(view, who) {
  const back = h('p', {}, h('a', { href: '#/items' }, 'Protected items'));
  if (!who.canContribute) {
    fill(view, back, h('h1', { tabindex: -1 }, 'Enable replication'),
      h('p', { class: 'hint' }, `Your role (${who.role}) may not enable replication; it needs SiteRecovery.Contributor.`));
    return;
  }
  const providers = (await api.get('/api/replicationRecoveryServicesProviders')).value;
  const field = (id, label, input, hint) => h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint === undefined ? null : h('div', { class: 'hint', id: `${id}-hint` }, hint));
  const whereItRuns = (value, label, hint, checked) => h('div', { class: 'choice' },
    h('input', { type: 'radio', name: 'activeLocation', id: `location-${value}`, value, checked, 'aria-describedby': `location-${value}-hint` }),
    h('label', { for: `location-${value}` }, label),
    h('div', { class: 'hint', id: `location-${value}-hint` }, hint));
  const textInput = (id, more) => h('input', { type: 'text', id, autocomplete: 'off', 'aria-describedby': `${id}-hint`, ...more });

  const itemName = textInput('item-name', { required: true, pattern: ITEM_NAME });
  const host = h('select', { id: 'provider', required: true },
    providers.map(provider => h('option', { value: provider.name }, `${provider.name} (${provider.properties.connectionStatus})`)));
  const virtualSwitch = h('select', { id: 'virtual-switch', required: true });
  const showSwitches = () => {
    const chosen = providers.find(provider => provider.name === host.value);
    fill(virtualSwitch, ((chosen && chosen.properties.virtualSwitches) || []).map(name => h('option', { value: name }, name)));
  };
  host.addEventListener('change', showSwitches);
  const connected = providers.find(provider => provider.properties.connectionStatus === 'Connected');
  if (connected) host.value = connected.name;
  showSwitches();
  const primaryVmName = textInput('primary-vm-name');
  const azureVmName = textInput('azure-vm-name');
  const submit = h('button', { type: 'submit', id: 'protect', class: 'primary' });
  const form = h('form', { id: 'protect-form' },
    field('item-name', 'Name', itemName, 'The protected item\'s name: 1-64 letters, digits, ".", "_" or "-".'),
    h('fieldset', {}, h('legend', {}, 'Where the VM runs now'),
      whereItRuns('Primary', 'On-premises: replicate it to Azure',
        'Initial replication copies its disks to Azure, then replication keeps the replica current.', true),
      whereItRuns('Recovery', 'In Azure, after a committed failover: register it to fail back',
        'Nothing is copied now; the item may fail back to the host below.', false)),
    providers.length ? null : h('p', { class: 'notice' }, 'No Hyper-V host has registered: start its host-agent first.'),
    field('provider', 'Hyper-V host', host),
    field('virtual-switch', 'Virtual switch', virtualSwitch, 'The switch the VM is connected to on that host, or will be after failback.'),
    field('primary-vm-name', 'On-premises VM name', primaryVmName, 'The item\'s name when empty.'),
    field('azure-vm-name', 'Azure VM name', azureVmName, ''),
    submit);

  // Whether the Azure VM name is needed, what it means and what the button does follow where the VM runs.
  const showLocation = () => {
    const inAzure = form.elements.activeLocation.value === 'Recovery';
    azureVmName.required = inAzure;
    form.querySelector('#azure-vm-name-hint').textContent = inAzure ? 'The VM running in Azure (required).'
      : 'The VM a failover to Azure will create; the item\'s name when empty.';
    submit.textContent = inAzure ? 'Register the Azure VM' : 'Enable replication';
  };
  form.addEventListener('change', event => {
    if (event.target.name === 'activeLocation') showLocation();
  });
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const properties = {
      activeLocation: form.elements.activeLocation.value,
      primaryProviderId: host.value,
      primaryVirtualSwitchName: virtualSwitch.value,
      // Left out when empty, so that the API's default (the item's name) applies.
      primaryVmName: primaryVmName.value.trim() || undefined,
      recoveryAzureVmName: azureVmName.value.trim() || undefined,
    };
    submit.disabled = true;
    try {
      showProblem(null);
      const item = await api.put(`/api/replicationProtectedItems/${encodeURIComponent(itemName.value.trim())}`, { properties });
      // On-premises, the initial replication's job is the thing to watch; in Azure, the item is all there is.
      const job = item.properties.currentScenario;
      location.hash = job ? `#/jobs/${encodeURIComponent(job.jobId)}` : `#/items/${encodeURIComponent(item.name)}`;
    } catch (error) {
      showProblem(error);
      submit.disabled = false;
    }
  });
  showLocation();
  fill(view, back, h('h1', { tabindex: -1 }, 'Enable replication'), form);
}

/**
 * The portal's "Confirm Planned Failover" from Azure to on-premises, POSTed to start; with the estimate of each
 * data-sync option (an item's, or a plan's: its groups in order) and the host when there is one to choose.
 */
async function failbackForm({ start, estimate: estimatePath, originalHost }) {
  const [estimate, providers] = await Promise.all([
    estimatePath ? api.get(estimatePath).catch(error => error) : null,
    originalHost ? api.get('/api/replicationRecoveryServicesProviders').catch(() => ({ value: [] })) : { value: [] },
  ]);
  const option = (value, label, hint, checked) => h('div', { class: 'choice' },
    h('input', { type: 'radio', name: 'dataSyncOption', id: `sync-${value}`, value, checked, 'aria-describedby': `sync-${value}-hint` }),
    h('label', { for: `sync-${value}` }, label),
    h('div', { class: 'hint', id: `sync-${value}-hint` }, hint));
  const hosts = providers.value.filter(provider => provider.name !== originalHost)
    .map(provider => h('option', { value: provider.name }, `${provider.name} (${provider.properties.connectionStatus})`));
  const request = intent();
  const form = h('form', { id: 'failback-form' },
    h('p', {}, 'Direction: from ', h('strong', {}, 'Azure'), ' to ', h('strong', {}, 'on-premises'),
      ' (RecoveryToPrimary): this planned failover is the failback.'),
    h('fieldset', {}, h('legend', {}, 'Data Synchronization'),
      option('ForDownTime', 'Synchronize data before failover (synchronize delta changes only)',
        'Phase 1 copies a snapshot while the VM keeps running in Azure, then the job waits. Complete Failover shuts the Azure VM down, sends the last changes and starts the VM on-premises: the least downtime.', true),
      option('ForSynchronization', 'Synchronize data during failover only (full download)',
        'Shuts the Azure VM down at once and downloads the whole disk, without checksums: for a VM that ran in Azure for a long time or whose on-premises VM was deleted.', false)),
    h('div', { class: 'choice' },
      h('input', { type: 'checkbox', id: 'create-vm', checked: true }),
      h('label', { for: 'create-vm' }, 'Create on-premises virtual machine if it does not exist')),
    originalHost ? h('div', { class: 'field' }, h('label', { for: 'host' }, 'Host Name'),
      h('select', { id: 'host' }, h('option', { value: '' }, `${originalHost} (the original host)`), hosts)) : null,
    h('div', { class: 'field' }, h('label', { for: 'encryption-key' }, 'Encryption Key (only when the cloud encrypts data)'),
      h('input', { type: 'text', id: 'encryption-key', autocomplete: 'off' })),
    estimate ? estimateSection(estimate) : null,
    h('button', { type: 'submit', id: 'start-failback', class: 'primary' }, 'Start failback'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const details = {
      instanceType: 'HyperVReplicaAzureFailback',
      dataSyncOption: form.elements.dataSyncOption.value,
      recoveryVmCreationOption: byId('create-vm').checked ? 'CreateVmIfNotFound' : 'NoAction',
    };
    if (byId('host') && byId('host').value) details.providerIdForAlternateRecovery = byId('host').value;
    if (byId('encryption-key').value.trim()) details.encryptionKeyId = byId('encryption-key').value.trim();
    const submit = byId('start-failback');
    submit.disabled = true;
    try {
      showProblem(null);
      openJob(await api.post(start, { properties: { failoverDirection: 'RecoveryToPrimary', providerSpecificDetails: details } },
        request.key()));
    } catch (error) {
      request.refused(error);
      showProblem(error);
      submit.disabled = false;
    }
  });
  return h('section', { 'aria-labelledby': 'failback-title' }, h('h2', { id: 'failback-title' }, 'Failback: Confirm Planned Failover'), form);
}

const OPTION_NAMES = { ForDownTime: 'Synchronize data before failover', ForSynchronization: 'Full download' };

function estimateSection(estimate) {
  if (estimate instanceof Error) {
    return h('p', { id: 'estimate', class: 'hint' }, `No estimate: ${estimate.message}`);
  }
  const plusMinus = (value, spread) => `${duration(value)} ± ${duration(spread)}`;
  return h('div', { id: 'estimate' },
    table('Estimate, before starting',
      ['Data synchronization', 'Data to send', 'Total time', 'Downtime', 'Note'],
      estimate.options.map(option => h('tr', { 'data-option': option.dataSyncOption },
        h('th', { scope: 'row' }, OPTION_NAMES[option.dataSyncOption] || option.dataSyncOption),
        h('td', {}, bytes(option.bytesToSend)),
        h('td', { class: 'figure' }, plusMinus(option.totalSeconds, option.totalUncertaintySeconds)),
        h('td', { class: 'figure' }, plusMinus(option.downtimeSeconds, option.downtimeUncertaintySeconds)),
        h('td', {}, option.note || '')))),
    // A plan's estimate also says what each group takes, in the order they run.
    estimate.groups ? table('By group, in order',
      ['Group', 'VMs', 'Full download', 'Synchronize data before failover: phase 2'],
      estimate.groups.map(group => h('tr', { 'data-group': String(group.group) },
        h('th', { scope: 'row' }, `Group ${group.group}`),
        h('td', {}, group.items.join(', ')),
        h('td', { class: 'figure' }, duration(group.seconds.ForSynchronization)),
        h('td', { class: 'figure' }, duration(group.seconds.ForDownTime))))) : null,
    h('p', { class: 'hint' }, estimate.basis && estimate.basis.summary ? estimate.basis.summary : ''));
}

// ---- jobs ----

async function jobsPage(view) {
  const page = await api.get('/api/replicationJobs?$top=50');
  const rows = page.value.map(job => {
    const p = job.properties;
    return h('tr', { 'data-job': job.name },
      h('th', { scope: 'row' }, h('a', { href: `#/jobs/${encodeURIComponent(job.name)}` }, p.friendlyName || p.scenarioName)),
      h('td', {}, p.targetObjectName || p.targetObjectId || '—'),
      h('td', {}, state(p.state)),
      h('td', {}, time(p.startTime)),
      h('td', {}, time(p.endTime)),
      h('td', {}, p.startedBy || '—'));
  });
  fill(view,
    h('h1', { tabindex: -1 }, 'Jobs'),
    h('p', {}, h('button', { type: 'button', onclick: route }, 'Refresh')),
    rows.length === 0 ? h('p', {}, 'No jobs yet.')
      : table('The newest 50 jobs, newest first', ['Job', 'Item', 'State', 'Started', 'Ended', 'Started by'], rows));
}

function taskProgress(task) {
  const progress = task.progress;
  if (!progress) return '—';
  const total = progress.bytesToSend > 0 ? progress.bytesToSend : progress.bytesTotal;
  const done = Math.min(progress.bytesSent, total);
  const percent = total > 0 ? Math.floor((100 * done) / total) : (task.state === 'Succeeded' ? 100 : 0);
  return h('div', {},
    h('progress', { max: 100, value: percent, 'aria-label': `${task.friendlyName || task.name}: ${percent}% sent` }, `${percent}%`),
    ` ${percent}% — sent ${bytes(progress.bytesSent)} of ${bytes(progress.bytesToSend)}`,
    task.state === 'InProgress' && progress.bytesScanned < progress.bytesTotal ? `, compared ${bytes(progress.bytesScanned)} of ${bytes(progress.bytesTotal)}` : '');
}

function tasksTable(tasks) {
  return table('Tasks, in the order they run', ['Task', 'State', 'Progress', 'Rate', 'Time left'],
    (tasks || []).map(task => {
      const progress = task.progress;
      const running = task.state === 'InProgress';
      return h('tr', { 'data-task': task.name },
        h('th', { scope: 'row' }, task.friendlyName || task.name),
        h('td', {}, state(task.state), task.stateDescription && task.stateDescription !== task.state
          ? h('div', { class: 'hint' }, task.stateDescription) : null),
        h('td', { class: 'progress' }, taskProgress(task)),
        h('td', {}, progress && running && progress.bytesPerSecond > 0 ? `${bytes(progress.bytesPerSecond)}/s` : '—'),
        h('td', {}, progress && running && progress.etaSeconds !== null && progress.etaSeconds !== undefined
          ? duration(progress.etaSeconds) : '—'));
    }));
}

/** The job's actions; Resume of a suspended failback is the portal's "Complete Failover". */
function jobActions(job, who) {
  const p = job.properties;
  const base = `/api/replicationJobs/${encodeURIComponent(job.name)}`;
  const failback = p.customDetails && p.customDetails.failoverDirection === 'RecoveryToPrimary';
  const specs = {
    Resume: failback ? {
      label: 'Complete Failover', path: `${base}/resume`,
      confirm: { title: 'Complete Failover', ok: 'Complete Failover',
        text: 'This shuts down the Azure machine, transfers the latest changes to the on-premises virtual machine, and starts the VM on-premises.' },
    } : {
      label: 'Resume', path: `${base}/resume`,
      confirm: { title: 'Resume', ok: 'Resume', text: 'The job goes on from where it waits.' },
    },
    Cancel: {
      label: 'Cancel job', path: `${base}/cancel`,
      confirm: { title: 'Cancel job', ok: 'Cancel the job', text: failback
        ? 'If you cancel the failback job while it is in the Data Synchronization step, the on-premises VM will be in a corrupted state and may not boot. Re-trigger the failover to complete the Data Synchronization.'
        : 'The job ends as Cancelled at once; disks being written stay inconsistent until the operation runs again.' },
    },
    Restart: {
      label: 'Restart', path: `${base}/restart`,
      confirm: { title: 'Restart job', ok: 'Restart', text: 'The job runs again, skipping every step that was done.' },
    },
  };
  if (!who.canOperate) return [];
  return (p.allowedActions || []).filter(action => specs[action])
    .map(action => actionButton({ ...specs[action], onDone: () => {} }));
}

/**
 * While a suspended failback is kept caught up (customDetails.catchUp): how far the on-premises copy is behind the
 * running Azure VM and what Complete Failover would cost now, the operator's cue to press it. Updated with each round.
 */
function catchUpLine(catchUp) {
  if (!catchUp) {
    return null;
  }
  if (catchUp.behindBytes == null) {
    return h('p', { id: 'catch-up' }, catchUp.roundUnderWay
      ? 'Catching up: the first round since the initial synchronization is under way.'
      : 'The on-premises copy will be caught up with the running VM in rounds.',
      catchUp.lastRoundError ? ` The last round failed: ${catchUp.lastRoundError}` : '');
  }
  return h('p', { id: 'catch-up', class: catchUp.converging ? '' : 'warning' },
    `Kept caught up (${catchUp.rounds} ${catchUp.rounds === 1 ? 'round' : 'rounds'}): the on-premises copy is `,
    h('strong', {}, `${bytes(catchUp.behindBytes)} (${duration(catchUp.behindSeconds)} of writes)`), ' behind',
    catchUp.estimatedDowntimeSeconds == null ? '. '
      : `; Complete Failover now would take the VM down for about ${duration(catchUp.estimatedDowntimeSeconds)}. `,
    catchUp.converging ? '' : 'The VM writes faster than the rounds send: the copy is falling behind. ',
    catchUp.lastRoundError ? `The last round failed: ${catchUp.lastRoundError}` : '');
}

async function jobPage(view, name, who, signal) {
  const title = h('h1', { tabindex: -1, id: 'job-title' });
  const stateLine = h('p', { class: 'job-state' });
  const actions = h('div', { class: 'buttons', id: 'job-actions' });
  const details = h('div', {});
  const announcer = h('p', { id: 'job-announcer', class: 'visually-hidden', 'aria-live': 'polite' });
  // What Complete Failover costs now (the item's estimate while its failback is suspended), asked once.
  const completion = h('p', { id: 'completion-estimate' });
  let completionAsked = false;
  let shownActions = null;
  let announced = null;

  const show = job => {
    const p = job.properties;
    title.textContent = p.friendlyName || p.scenarioName;
    fill(stateLine, 'State: ', h('strong', { id: 'job-state' }, p.state), ' — ', p.stateDescription || '');
    const actionsNow = JSON.stringify(p.allowedActions || []);
    // Rebuilt only when they change, so a button keeps its focus while progress streams in.
    if (actionsNow !== shownActions) {
      shownActions = actionsNow;
      fill(actions, ...jobActions(job, who));
    }
    const running = (p.tasks || []).find(task => task.state === 'InProgress');
    const sentence = `${p.state}${running ? `: ${running.friendlyName || running.name}` : ''}`;
    // Announced when the state or the running task changes, not on every byte.
    if (sentence !== announced) {
      announced = sentence;
      announcer.textContent = `Job ${sentence}`;
    }
    const suspendedFailback = p.state === 'Suspended' && (p.allowedActions || []).includes('Resume')
      && p.customDetails && p.customDetails.failoverDirection === 'RecoveryToPrimary';
    const planJob = (p.scenarioName || '').startsWith('RecoveryPlan');
    if (suspendedFailback && !planJob && !completionAsked) {
      completionAsked = true;
      api.get(`/api/replicationProtectedItems/${encodeURIComponent(p.targetObjectName)}/failbackEstimate`).then(estimate => {
        const phase2 = estimate.options[0];
        fill(completion, `Complete Failover now: sends ${bytes(phase2.bytesToSend)}; the VM is down for about `,
          `${duration(phase2.downtimeSeconds)} ± ${duration(phase2.downtimeUncertaintySeconds)}.`);
      }, error => fill(completion, `No estimate of Complete Failover: ${error.message}`));
    }
    fill(details,
      suspendedFailback ? h('div', { class: 'notice', id: 'suspended-notice' },
        h('p', {}, 'The initial data synchronization is complete and the VM still runs in Azure. When you are ready to shut it down there, press Complete Failover.'),
        catchUpLine(p.customDetails.catchUp),
        // Once a round has ended its account is newer than the item's estimate, asked when the page opened.
        planJob || (p.customDetails.catchUp && p.customDetails.catchUp.behindBytes != null) ? null : completion) : null,
      definitions([
        [planJob ? 'Recovery plan' : 'Item', p.targetObjectName ? h('a', {
          href: `#/${planJob ? 'plans' : 'items'}/${encodeURIComponent(p.targetObjectName)}` }, p.targetObjectName) : null],
        ['Direction', p.customDetails && p.customDetails.failoverDirection],
        ['Data synchronization', p.customDetails && p.customDetails.dataSyncOption],
        ['Started', time(p.startTime)],
        ['Ended', p.endTime ? time(p.endTime) : null],
        ['Started by', p.startedBy],
      ]),
      tasksTable(p.tasks),
      (p.errors || []).length ? h('section', {}, h('h2', {}, 'Errors'),
        h('ul', {}, p.errors.map(error => h('li', {}, `${error.errorCode}: ${error.message}`)))) : null,
      ((p.customDetails && p.customDetails.verifications) || []).length ? h('section', {}, h('h2', {}, 'Disks verified'),
        h('ul', {}, p.customDetails.verifications.map(v => h('li', {},
          `${v.diskId}: ${v.sourceDigest === v.targetDigest ? 'the same' : 'DIFFERENT'} ${v.algorithm} digest on both sites`)))) : null);
  };

  show(await api.get(`/api/replicationJobs/${encodeURIComponent(name)}`));
  fill(view, h('p', {}, h('a', { href: '#/jobs' }, 'Jobs')), title, stateLine, actions, announcer, details);
  followUntilFinal(name, show, signal);
}

/** Follows the job's stream; when it breaks before the job ends (a restart, a proxy), reads it again and re-opens. */
async function followUntilFinal(name, show, signal) {
  for (;;) {
    try {
      await api.followJob(name, show, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof api.Problem) {
        showProblem(error);
        return;
      }
    }
    if (signal.aborted) return;
    try {
      const job = await api.get(`/api/replicationJobs/${encodeURIComponent(name)}`);
      show(job);
      if (FINAL_STATES.has(job.properties.state)) return;
    } catch (error) {
      if (error instanceof api.Problem) {
        showProblem(error);
        return;
      }
    }
    await new Promise(resolve => setTimeout(resolve, 2000));
  }
}

// ---- recovery plans ----

/** What a plan's API runs (POST .../replicationRecoveryPlans/{name}/...), by the operation its items allow. */
const PLAN_OPERATIONS = new Set(['PlannedFailover', 'UnplannedFailover', 'TestFailover', 'TestFailoverCleanup', 'Commit', 'ReverseReplicate']);

function planSummary(plan) {
  const p = plan.properties;
  return [
    definitions([
      ['Current job', p.currentScenario ? h('a', { href: `#/jobs/${encodeURIComponent(p.currentScenario.jobId)}` },
        p.currentScenario.scenarioName) : 'none'],
      ['Allowed operations', (p.allowedOperations || []).join(', ') || 'none now'],
    ]),
    h('ol', { class: 'groups', 'aria-label': 'Groups, in the order they run' }, (p.groups || []).map(group => h('li', {}, `${group.groupType}: `,
      (group.replicationProtectedItems || []).length
        ? group.replicationProtectedItems.map((ref, i) => [i ? ', ' : '', h('a', { href: `#/items/${encodeURIComponent(ref.id)}` }, ref.id)])
        : 'no items')))];
}

async function plansPage(view) {
  const page = await api.get('/api/replicationRecoveryPlans');
  const plans = page.value.map(plan => h('section', { class: 'plan', 'data-plan': plan.name, 'aria-labelledby': `plan-${plan.name}` },
    h('h2', { id: `plan-${plan.name}` }, h('a', { href: `#/plans/${encodeURIComponent(plan.name)}` }, plan.properties.friendlyName || plan.name)),
    planSummary(plan)));
  fill(view, h('h1', { tabindex: -1 }, 'Recovery plans'),
    plans.length === 0 ? h('p', {}, 'No recovery plans yet.') : plans);
}

async function planPage(view, name, who) {
  const path = `/api/replicationRecoveryPlans/${encodeURIComponent(name)}`;
  const [plan, items] = await Promise.all([api.get(path), api.get('/api/replicationProtectedItems?$top=1000')]);
  const p = plan.properties;
  const members = new Set((p.groups || []).flatMap(group => (group.replicationProtectedItems || []).map(ref => ref.id)));
  const locations = new Set(items.value.filter(item => members.has(item.name)).map(item => item.properties.activeLocation));
  const allowed = (p.allowedOperations || []).filter(operation => PLAN_OPERATIONS.has(operation));
  const canFailBack = allowed.includes('PlannedFailover') && locations.size === 1 && locations.has('Recovery');
  const operations = operationSpecs(path, name, locations.size === 1 && locations.has('Primary'));
  const buttons = who.canOperate ? allowed.map(operation => operations[operation]).filter(Boolean)
    .map(operation => actionButton({ ...operation, onDone: openJob })) : [];
  fill(view,
    h('p', {}, h('a', { href: '#/plans' }, 'Recovery plans')),
    h('h1', { tabindex: -1 }, p.friendlyName || plan.name),
    planSummary(plan),
    buttons.length ? h('section', { 'aria-labelledby': 'actions-title' }, h('h2', { id: 'actions-title' }, 'Actions'),
      h('div', { class: 'buttons' }, buttons)) : null,
    who.canOperate ? null : h('p', { class: 'hint' }, `Your role (${who.role}) may read only; operations need SiteRecovery.Operator.`),
    who.canOperate && canFailBack ? await failbackForm({ start: `${path}/plannedFailover`, estimate: `${path}/failbackEstimate` }) : null);
}

// ---- sign-in and routing ----

let leaveView = () => {};

async function route() {
  leaveView();
  const leaving = new AbortController();
  leaveView = () => leaving.abort();
  showProblem(null);
  const who = api.caller();
  const view = byId('view');
  byId('sign-in').hidden = Boolean(who);
  byId('sections').hidden = !who;
  byId('caller').hidden = !who;
  if (!who) {
    fill(view);
    return;
  }
  byId('caller-name').textContent = `${who.subject} — ${who.role}`;
  if (who.expired) {
    showProblem(new api.Problem(401, { title: 'Token expired', detail: 'This token has expired: sign in with a new one.' }));
  }
  const [, section, name] = location.hash.match(/^#\/(\w+)(?:\/(.+))?$/) || [];
  // Enabling replication is part of the protected items.
  const current = !section || section === 'protect' ? 'items' : section;
  for (const link of document.querySelectorAll('#sections a')) {
    if (link.getAttribute('href') === `#/${current}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // The page is built apart and shown only if no later navigation began meanwhile (its answers may come last).
  const page = h('div', {});
  try {
    if (section === 'jobs' && name) await jobPage(page, decodeURIComponent(name), who, leaving.signal);
    else if (section === 'jobs') await jobsPage(page);
    else if (section === 'items' && name) await itemPage(page, decodeURIComponent(name), who);
    else if (section === 'plans' && name) await planPage(page, decodeURIComponent(name), who);
    else if (section === 'plans') await plansPage(page);
    else if (section === 'protect') await protectPage(page, who);
    else await itemsPage(page, who);
    if (leaving.signal.aborted) return;
    fill(view, page);
    const heading = view.querySelector('h1');
    if (heading) heading.focus();
  } catch (error) {
    if (leaving.signal.aborted) return;
    fill(view);
    showProblem(error);
  }
}

byId('sign-in-form').addEventListener('submit', event => {
  event.preventDefault();
  try {
    api.signIn(byId('token').value.trim());
    byId('token').value = '';
    route();
  } catch (error) {
    showProblem(error);
  }
});

byId('sign-out').addEventListener('click', () => {
  api.signOut();
  location.hash = '';
  route();
});

window.addEventListener('hashchange', route);
route();
