// The seed's whole story for one on-premises Hyper-V VM, driven through Microsoft's official Site Recovery SDK
// (@azure/arm-recoveryservices-siterecovery 5.1.0, api-version 2023-06-01) against a running Failback, exactly as an
// Azure user's automation would drive Site Recovery: enable protection, planned failover to Azure, Commit, failback
// (planned failover RecoveryToPrimary with ForDownTime), "Complete Failover" of the suspended job, Commit, and
// Reverse Replicate. Nothing of the SDK is patched: only the endpoint and the credential differ from Azure.
//
//   node seed-story.mjs [step...]      steps: fabrics enableProtection failoverToAzure commit failback reverseReplicate
//                                      (none: the whole story in order, Commit after each failover; fabrics only reads)
//
// OfficialSdkIT runs it one step at a time and acts on the sites in between (stops the VM, compares the disks).
// Every step prints one JSON line per operation on stdout: {step, operation, job, scenarioName, jobState, item, ...}.
// Any failure prints {step, error} and exits 1; the error names the request and the answer the SDK did not accept.
//
// Environment:
//   FAILBACK_ARM_ENDPOINT  https://host:port of job-service (the SDK refuses plain http with a bearer token)
//   FAILBACK_TOKEN         a bearer token from Failback's local issuer (./failback token --role Contributor)
//   NODE_EXTRA_CA_CERTS    Failback's local CA (ca.pem): TLS is checked, never switched off
//   FAILBACK_VM            the on-premises VM to protect; also the protected item's name
//   FAILBACK_SUBSCRIPTION_ID, FAILBACK_RESOURCE_GROUP, FAILBACK_VAULT    the vault's coordinates
//   FAILBACK_FABRIC, FAILBACK_CONTAINER    the on-premises fabric and its container (hyperv-site, hyperv-site-container)
//   FAILBACK_POLICY_ID     optional: a replication policy's ARM id for enable protection
//   FAILBACK_STEP_TIMEOUT_SECONDS   how long one step may take (300)
//   FAILBACK_SUSPENDED_SECONDS      how long the failback stays Suspended before "Complete Failover" (0); the Azure VM
//                                   keeps running and writing meanwhile, and phase 2 sends what it wrote
//   FAILBACK_SDK_TRACE     optional: a file that gets one JSON line per HTTP exchange (Authorization redacted)

import { appendFileSync } from "node:fs";
import { SiteRecoveryManagementClient } from "@azure/arm-recoveryservices-siterecovery";

const env = (name, fallback) => {
    const value = process.env[name] ?? fallback;
    if (value === undefined || value === "") {
        fail("setup", new Error(`environment variable ${name} is required`));
    }
    return value;
};

const endpoint = env("FAILBACK_ARM_ENDPOINT").replace(/\/+$/, "");
const token = env("FAILBACK_TOKEN");
const vm = env("FAILBACK_VM");
const subscriptionId = env("FAILBACK_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000");
const resourceGroup = env("FAILBACK_RESOURCE_GROUP", "failback");
const vault = env("FAILBACK_VAULT", "failback-vault");
const fabric = env("FAILBACK_FABRIC", "hyperv-site");
const container = env("FAILBACK_CONTAINER", "hyperv-site-container");
const policyId = process.env.FAILBACK_POLICY_ID || undefined;
const stepTimeoutMs = Number(env("FAILBACK_STEP_TIMEOUT_SECONDS", "300")) * 1000;
const suspendedMs = Number(env("FAILBACK_SUSPENDED_SECONDS", "0")) * 1000;
const traceFile = process.env.FAILBACK_SDK_TRACE || undefined;

if (!endpoint.startsWith("https://")) {
    fail("setup", new Error(`FAILBACK_ARM_ENDPOINT must be https (the SDK sends bearer tokens over TLS only): ${endpoint}`));
}

const vaultId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${vault}`;
const terminalJobStates = new Set(["Succeeded", "Failed", "Cancelled"]);

// A TokenCredential is anything with getToken; the local issuer's token is valid for longer than the story runs.
const credential = {
    getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 }),
};

const client = new SiteRecoveryManagementClient(credential, subscriptionId, {
    // Moves every URL (the operations have no base URL of their own) and the token's scope ({endpoint}/.default).
    endpoint,
    additionalPolicies: traceFile ? [{ policy: tracePolicy(traceFile), position: "perRetry" }] : [],
});
const items = client.replicationProtectedItems;
const jobs = client.replicationJobs;

const steps = {
    fabrics,
    enableProtection,
    failoverToAzure,
    commit,
    failback,
    reverseReplicate,
};
const requested = process.argv.slice(2);
const story = requested.length > 0
    ? requested
    : ["enableProtection", "failoverToAzure", "commit", "failback", "commit", "reverseReplicate"];
for (const name of story) {
    if (!steps[name]) {
        fail(name, new Error(`unknown step '${name}'; steps: ${Object.keys(steps).join(" ")}`));
    }
}
for (const name of story) {
    const deadline = AbortSignal.timeout(stepTimeoutMs);
    try {
        await steps[name](name, deadline);
    } catch (error) {
        fail(name, deadline.aborted ? new Error(`step '${name}' did not end within ${stepTimeoutMs / 1000} s: ${error.message}`, { cause: error }) : error);
    }
}

// --- the steps ---

/** Reads only: the fabrics and their protection containers, through the SDK's paged iterators. */
async function fabrics(step, abortSignal) {
    const started = Date.now();
    const found = [];
    for await (const fabric of client.replicationFabrics.list(vault, resourceGroup, { abortSignal })) {
        const containers = [];
        for await (const container of client.replicationProtectionContainers.listByReplicationFabrics(vault, resourceGroup, fabric.name, { abortSignal })) {
            containers.push(container.name);
        }
        found.push({ name: fabric.name, id: fabric.id, containers });
    }
    print({ step, operation: "replicationFabrics.list", fabrics: found, seconds: secondsSince(started) });
}

/** PUT create of the protected item: Failback finds the host that has the VM from the protectable item's name. */
async function enableProtection(step, abortSignal) {
    const input = {
        properties: {
            policyId,
            protectableItemId: `${vaultId}/replicationFabrics/${fabric}/replicationProtectionContainers/${container}/replicationProtectableItems/${vm}`,
            providerSpecificDetails: { instanceType: "HyperVReplicaAzure", vmName: vm, targetAzureVmName: vm },
        },
    };
    await runToEnd(step, "replicationProtectedItems.beginCreateAndWait", abortSignal, (options) =>
        items.beginCreateAndWait(vault, resourceGroup, fabric, container, vm, input, options));
}

async function failoverToAzure(step, abortSignal) {
    const input = {
        properties: { failoverDirection: "PrimaryToRecovery", providerSpecificDetails: { instanceType: "HyperVReplicaAzure" } },
    };
    await runToEnd(step, "replicationProtectedItems.beginPlannedFailoverAndWait", abortSignal, (options) =>
        items.beginPlannedFailoverAndWait(vault, resourceGroup, fabric, container, vm, input, options));
}

async function commit(step, abortSignal) {
    await runToEnd(step, "replicationProtectedItems.beginFailoverCommitAndWait", abortSignal, (options) =>
        items.beginFailoverCommitAndWait(vault, resourceGroup, fabric, container, vm, options));
}

/**
 * Failback with "Synchronize data before failover": the job copies a snapshot while the Azure VM runs, then waits
 * Suspended. Its operation must stay running meanwhile; "Complete Failover" (resume) ends both the resume's operation
 * and the failback's when the job ends.
 */
async function failback(step, abortSignal) {
    const input = {
        properties: {
            failoverDirection: "RecoveryToPrimary",
            providerSpecificDetails: {
                instanceType: "HyperVReplicaAzureFailback",
                dataSyncOption: "ForDownTime",
                recoveryVmCreationOption: "CreateVmIfNotFound",
            },
        },
    };
    const started = Date.now();
    const exchange = exchangeRecorder();
    const poller = await items.beginPlannedFailover(vault, resourceGroup, fabric, container, vm, input,
        { onResponse: exchange.onResponse, abortSignal });
    const jobName = exchange.jobName();

    let job = await jobs.get(vault, resourceGroup, jobName, { abortSignal });
    while (job.properties?.state !== "Suspended") {
        if (terminalJobStates.has(job.properties?.state)) {
            throw new Error(`the failback job ${jobName} ended ${job.properties.state} instead of waiting Suspended: ${JSON.stringify(job.properties)}`);
        }
        await sleep(500, abortSignal);
        job = await jobs.get(vault, resourceGroup, jobName, { abortSignal });
    }
    // One more poll while the job waits: the operation must still be running, not done.
    await poller.poll({ abortSignal });
    if (poller.isDone()) {
        throw new Error(`the failback's operation ended (${poller.getOperationState().status}) while its job ${jobName} waits Suspended`);
    }
    print({
        step, operation: "replicationJobs.get", phase: "suspended", job: jobName, scenarioName: job.properties.scenarioName,
        jobState: job.properties.state, allowedActions: job.properties.allowedActions ?? [], operationDone: poller.isDone(),
        statusPolls: exchange.polls(), seconds: secondsSince(started), suspendedSeconds: suspendedMs / 1000,
    });
    await sleep(suspendedMs, abortSignal);

    await runToEnd(step, "replicationJobs.beginResumeAndWait", abortSignal, (options) =>
        jobs.beginResumeAndWait(vault, resourceGroup, jobName, { properties: { comments: "Complete Failover" } }, options), jobName);

    await poller.pollUntilDone({ abortSignal });
    await report(step, "replicationProtectedItems.beginPlannedFailover", jobName, exchange, started, abortSignal);
}

async function reverseReplicate(step, abortSignal) {
    const input = {
        properties: { failoverDirection: "PrimaryToRecovery", providerSpecificDetails: { instanceType: "HyperVReplicaAzure" } },
    };
    await runToEnd(step, "replicationProtectedItems.beginReprotectAndWait", abortSignal, (options) =>
        items.beginReprotectAndWait(vault, resourceGroup, fabric, container, vm, input, options));
}

// --- what every step shares ---

/**
 * Runs an operation through the SDK's begin...AndWait (which polls until the operation ends), then checks that the job
 * behind it has ended too and prints the step's line. {@code expectedJob}: the job the operation acts on, when known.
 * The abort signal reaches every request, the polls included (they take the operation's options).
 */
async function runToEnd(step, operation, abortSignal, beginAndWait, expectedJob) {
    const started = Date.now();
    const exchange = exchangeRecorder();
    await beginAndWait({ onResponse: exchange.onResponse, abortSignal });
    const jobName = exchange.jobName();
    if (expectedJob && jobName !== expectedJob) {
        throw new Error(`${operation}'s operation follows job ${jobName}, not ${expectedJob}`);
    }
    await report(step, operation, jobName, exchange, started, abortSignal);
}

/** Reads the job and the item after an operation's poller ended: the job must have ended, and succeeded. */
async function report(step, operation, jobName, exchange, started, abortSignal) {
    const job = await jobs.get(vault, resourceGroup, jobName, { abortSignal });
    const state = job.properties?.state;
    if (!terminalJobStates.has(state)) {
        throw new Error(`${operation}'s poller ended while its job ${jobName} is ${state}: the operation must end only when the job ends`);
    }
    if (state !== "Succeeded") {
        throw new Error(`job ${jobName} ended ${state}: ${JSON.stringify(job.properties?.errors ?? job.properties)}`);
    }
    const item = await items.get(vault, resourceGroup, fabric, container, vm, { abortSignal });
    print({
        step, operation, job: jobName, operationId: exchange.operationId(), scenarioName: job.properties.scenarioName, jobState: state,
        statusPolls: exchange.polls(), seconds: secondsSince(started),
        item: {
            id: item.id, protectionState: item.properties?.protectionState, activeLocation: item.properties?.activeLocation,
            allowedOperations: item.properties?.allowedOperations ?? [],
        },
    });
}

/**
 * Watches an operation's raw responses (the SDK hands each to onResponse): the first one is the answer to the request
 * (202 with the operation's status monitor in Azure-AsyncOperation), the later ones the poller's GETs. The job behind
 * the operation is named by the status body's properties.jobId (an ARM job id), else by the 202's body when that is
 * the job itself.
 */
function exchangeRecorder() {
    const responses = [];
    const lastSegment = (url) => new URL(url, "https://x").pathname.split("/").pop();
    return {
        onResponse: (raw) => responses.push({
            status: raw.status, headers: raw.headers.toJSON(), url: raw.request.url, body: raw.parsedBody,
        }),
        polls: () => Math.max(0, responses.length - 1),
        operationId: () => {
            const monitor = responses[0]?.headers["azure-asyncoperation"];
            return monitor ? lastSegment(monitor) : undefined;
        },
        jobName() {
            const jobId = responses.map((r) => r.body?.properties?.jobId).filter((id) => typeof id === "string").pop();
            if (jobId) {
                return lastSegment(jobId);
            }
            const first = responses[0];
            if (typeof first?.body?.type === "string" && first.body.type.endsWith("/replicationJobs") && first.body.name) {
                return first.body.name;
            }
            throw new Error(`no answer names the operation's job (first: ${first?.status} from ${first?.url}, `
                + `headers ${JSON.stringify(first?.headers)}, body ${JSON.stringify(first?.body)})`);
        },
    };
}

function print(line) {
    process.stdout.write(JSON.stringify(line) + "\n");
}

/** Prints the failure as the step's line (with the HTTP exchange the SDK refused, if any) and exits 1. */
function fail(step, error) {
    const line = { step, error: { name: error.name, message: error.message, code: error.code, statusCode: error.statusCode } };
    if (error.request) {
        line.error.request = { method: error.request.method, url: error.request.url, body: error.request.body };
    }
    if (error.response) {
        line.error.response = { status: error.response.status, headers: error.response.headers?.toJSON?.(), body: error.response.bodyAsText };
    }
    print(line);
    process.stderr.write(`seed-story: step '${step}' failed: ${error.stack ?? error}\n`);
    process.exit(1);
}

/** One JSON line per HTTP exchange, for the report when the SDK and Failback disagree. */
function tracePolicy(file) {
    return {
        name: "failbackTrace",
        async sendRequest(request, next) {
            const entry = {
                at: new Date().toISOString(), method: request.method, url: request.url,
                requestHeaders: redact(request.headers.toJSON()), requestBody: typeof request.body === "string" ? request.body : undefined,
            };
            try {
                const response = await next(request);
                Object.assign(entry, { status: response.status, responseHeaders: response.headers.toJSON(), responseBody: response.bodyAsText });
                return response;
            } catch (error) {
                entry.error = String(error);
                throw error;
            } finally {
                appendFileSync(file, JSON.stringify(entry) + "\n");
            }
        },
    };
}

function redact(headers) {
    return headers.authorization ? { ...headers, authorization: "Bearer <redacted>" } : headers;
}

function sleep(ms, abortSignal) {
    return new Promise((resolve, reject) => {
        const onAbort = () => {
            clearTimeout(timer);
            reject(abortSignal.reason);
        };
        // Removed when the timer fires, so a long wait does not pile listeners on the step's signal.
        const timer = setTimeout(() => {
            abortSignal.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        abortSignal.addEventListener("abort", onAbort, { once: true });
    });
}

function secondsSince(started) {
    return Math.round((Date.now() - started) / 100) / 10;
}
