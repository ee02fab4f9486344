export const id = 859;
export const ids = [859];
export const modules = {

/***/ 8859:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  actionsRuntime: () => (/* reexport */ actionsRuntime),
  run: () => (/* binding */ run)
});

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(8161);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/util/duration.ts
/**
 * Durations as users write them in workflow inputs: compact (`15m`, `1h`, `1d`, `1h30m`),
 * spelled out the way the CoE Starter Kit's environment variables are (`1 hour`, `5 minutes`,
 * `2 Day`), or ISO 8601 (`PT1H`, `P1D`) as Power Automate shows them.
 */
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const UNIT_MS = {
    m: MINUTE_MS,
    min: MINUTE_MS,
    mins: MINUTE_MS,
    minute: MINUTE_MS,
    minutes: MINUTE_MS,
    h: HOUR_MS,
    hr: HOUR_MS,
    hrs: HOUR_MS,
    hour: HOUR_MS,
    hours: HOUR_MS,
    d: DAY_MS,
    day: DAY_MS,
    days: DAY_MS
};
const WHOLE = /^(?:\d+(?:\.\d+)?\s*[a-z]+\s*)+$/;
const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;
/**
 * Parses a duration into milliseconds, or returns undefined when the text is not one.
 * Units are minutes, hours and days: the API's windows are minutes apart at the finest.
 */
function parseDuration(text) {
    const trimmed = text.trim();
    const iso = ISO_DURATION.exec(trimmed.toUpperCase());
    if (iso) {
        const [, days, hours, minutes] = iso;
        if (days === undefined && hours === undefined && minutes === undefined)
            return undefined;
        return positive(Number(days ?? 0) * DAY_MS + Number(hours ?? 0) * HOUR_MS + Number(minutes ?? 0) * MINUTE_MS);
    }
    const spelled = trimmed.toLowerCase();
    if (!WHOLE.test(spelled))
        return undefined;
    let total = 0;
    for (const [, amount, unit] of spelled.matchAll(PART)) {
        const unitMs = unit === undefined ? undefined : UNIT_MS[unit];
        if (unitMs === undefined)
            return undefined;
        total += Number(amount) * unitMs;
    }
    return positive(Math.round(total));
}
function positive(ms) {
    return ms > 0 ? ms : undefined;
}
/** Renders milliseconds the compact way (`1d`, `1h30m`, `5m`) for messages and tables. */
function formatDuration(ms) {
    if (ms <= 0)
        return '0m';
    const parts = [];
    let rest = ms;
    for (const [unit, size] of [
        ['d', DAY_MS],
        ['h', HOUR_MS],
        ['m', MINUTE_MS]
    ]) {
        const count = Math.floor(rest / size);
        if (count > 0)
            parts.push(`${count}${unit}`);
        rest -= count * size;
    }
    if (rest > 0)
        parts.push(`${Math.round(rest / 1000)}s`);
    return parts.join('');
}

;// CONCATENATED MODULE: ./src/util/time.ts

/**
 * Instants in inputs are ISO 8601 and UTC unless they say otherwise: `2026-11-20`,
 * `2026-11-20T06:00`, `2026-11-20T06:00Z`, `2026-11-20T06:00:00.000+02:00`. A bare date
 * or time is UTC, because the Management API and every file we write speak UTC, and the
 * runner's zone must never change what gets collected.
 */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** Parses an ISO 8601 instant; undefined when it is not one or names an impossible date. */
function parseInstant(text) {
    const match = ISO_INSTANT.exec(text.trim());
    if (!match)
        return undefined;
    const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone = 'Z'] = match;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const hour = Number(h);
    const minute = Number(mi);
    const second = Number(s);
    if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59)
        return undefined;
    const millis = Math.floor(Number(`0.${fraction || '0'}`) * 1000);
    const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
    // Date.UTC rolls 2026-02-30 over into March; a real calendar date survives the round trip.
    if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day)
        return undefined;
    return new Date(utc - zoneOffsetMs(zone));
}
function zoneOffsetMs(zone) {
    if (zone.toUpperCase() === 'Z')
        return 0;
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
}
/** `2026-11-20T06:00:00Z`: the one way instants are shown to users and the API. */
function formatInstant(date) {
    return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
/** `2026-11-20T06:00:00Z..2026-11-20T07:00:00Z`: a window as the log and errors show it. */
function formatRange(range) {
    return `${formatInstant(range.start)}..${formatInstant(range.end)}`;
}
/** The UTC day (`YYYY-MM-DD`) of an instant. */
function utcDay(date) {
    return date.toISOString().slice(0, 10);
}
/** The instant at the start of its minute: plans and ranges are whole minutes. */
function floorToMinute(date) {
    return new Date(Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS);
}
/** The start of the UTC day an instant (milliseconds) falls in. */
function startOfUtcDay(ms) {
    return Math.floor(ms / DAY_MS) * DAY_MS;
}

;// CONCATENATED MODULE: ./src/action/settings.ts
/** Input names as they appear in action.yml; no other module spells them. */
const Inputs = {
    TenantId: 'tenant-id',
    ClientId: 'client-id',
    ClientSecret: 'client-secret',
    Certificate: 'certificate',
    CertificatePassword: 'certificate-password',
    OidcAudience: 'oidc-audience',
    Cloud: 'cloud',
    Authority: 'authority',
    Audience: 'audience',
    Source: 'source',
    GraphUrl: 'graph-url',
    GraphQueries: 'graph-queries',
    GraphWait: 'graph-wait',
    GraphSubmissions: 'graph-submissions',
    ContentTypes: 'content-types',
    PublisherId: 'publisher-id',
    Start: 'start',
    End: 'end',
    Lookback: 'lookback',
    Segment: 'segment',
    MaxSegments: 'max-segments',
    Format: 'format',
    DataBranch: 'data-branch',
    Repository: 'repository',
    GitHubToken: 'github-token',
    GitHubApiUrl: 'github-api-url',
    OpenIssue: 'open-issue',
    IssueLabels: 'issue-labels',
    FailOnError: 'fail-on-error',
    RetentionDays: 'retention-days',
    Concurrency: 'concurrency',
    ApiQuota: 'api-quota',
    RecordsPerCommit: 'records-per-commit',
    Operations: 'operations',
    Workloads: 'workloads',
    RecordTypes: 'record-types',
    Usage: 'usage',
    Import: 'import',
    DryRun: 'dry-run'
};
/** Output names as they appear in action.yml. */
const Outputs = {
    RecordsAdded: 'records-added',
    FilesChanged: 'files-changed',
    CommitSha: 'commit-sha',
    FailedSegments: 'failed-segments',
    IssueUrl: 'issue-url',
    BadRows: 'bad-rows'
};

;// CONCATENATED MODULE: ./src/util/count-text.ts
/**
 * A count with thousands separators, `1,234,567`, as `toLocaleString('en-US')` writes it. Not
 * with `toLocaleString` itself: its first call in a process loads ICU's number formatting,
 * a cost every run would pay for nothing (docs/benchmarks.md, "Counts without ICU").
 */
function countText(count) {
    if (!Number.isSafeInteger(count))
        return String(count);
    const digits = String(Math.abs(count));
    let text = '';
    for (let end = digits.length; end > 0; end -= 3)
        text = (end > 3 ? ',' : '') + digits.slice(Math.max(0, end - 3), end) + text;
    return count < 0 ? `-${text}` : text;
}
/** `1 window`, `3 windows`: a count with its noun, for nouns that take an s. */
function countNoun(count, noun) {
    return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

;// CONCATENATED MODULE: ./src/action/certificate-input.ts
/**
 * The `certificate` input: a PEM text holding the app's private key and the certificate
 * uploaded to the app registration (a chain may follow). Everything MSAL needs is derived
 * here, and every usual mistake is caught before any request, each with its own message.
 * Pure logic: node:crypto parses and compares, nothing is read, written or printed.
 *
 * Requirements: https://learn.microsoft.com/entra/identity-platform/certificate-credentials
 * (an RSA key of at least 2048 bits; the assertion names the certificate by its thumbprint).
 */





/** One mistake in the certificate inputs; `input` is the input to fix. */
class CertificateError extends Error {
    input;
    constructor(input, message) {
        super(message);
        this.input = input;
        this.name = 'CertificateError';
    }
}
/** From how many days before expiry a run warns. */
const EXPIRY_WARNING_DAYS = 30;
const MIN_RSA_BITS = 2048;
/** Shorter lines are not masked: a few characters of a key give nothing away, and masking them would blank out common words in the log. */
const MIN_MASKED_LINE = 8;
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const KEY_LABEL = /PRIVATE KEY$/;
const CERTIFICATE_LABEL = 'CERTIFICATE';
const CERTIFICATE_PEM = Inputs.Certificate;
const PASSWORD = Inputs.CertificatePassword;
const COMBINE = '`cat key.pem cert.pem`';
/**
 * Reads and checks the `certificate` (and `certificate-password`) inputs at `now`. Throws a
 * {@link CertificateError} for a PEM without a key or without a certificate, an encrypted key
 * without (or with the wrong) password, a key Entra ID cannot use, a key that belongs to none
 * of the certificates, and a certificate that is expired or not valid yet.
 */
function readClientCertificate(text, password, now) {
    const blocks = pemBlocks(text);
    if (blocks.length === 0) {
        throw new CertificateError(CERTIFICATE_PEM, `Input '${CERTIFICATE_PEM}' is not PEM text (it has no '-----BEGIN' line): it must hold the private key and the certificate as PEM, ` +
            `for example ${COMBINE}. A .pfx or .p12 file converts with \`openssl pkcs12 -in app.pfx -nodes -out app.pem\`.`);
    }
    const keys = blocks.filter((block) => KEY_LABEL.test(block.label));
    const certificates = blocks.filter((block) => block.label === CERTIFICATE_LABEL);
    const [keyBlock] = keys;
    if (!keyBlock) {
        throw new CertificateError(CERTIFICATE_PEM, `Input '${CERTIFICATE_PEM}' holds ${countNoun(certificates.length, 'certificate')} but no private key: the action signs its sign-in with the key, ` +
            `so the secret must hold the key (-----BEGIN PRIVATE KEY-----) and the certificate, for example ${COMBINE}. ` +
            `Only the certificate is uploaded to the app registration.`);
    }
    if (keys.length > 1) {
        throw new CertificateError(CERTIFICATE_PEM, `Input '${CERTIFICATE_PEM}' holds ${keys.length} private keys: keep only the one made with the certificate uploaded to the app registration.`);
    }
    if (certificates.length === 0) {
        throw new CertificateError(CERTIFICATE_PEM, `Input '${CERTIFICATE_PEM}' holds a private key but no certificate (-----BEGIN CERTIFICATE-----): add the certificate uploaded to ` +
            `the app registration after the key, for example ${COMBINE}; the thumbprint Entra ID needs is computed from it.`);
    }
    const key = readPrivateKey(keyBlock, password);
    const x509s = certificates.map((block, index) => readCertificate(block, index, certificates.length));
    const leaf = x509s.find((x509) => x509.checkPrivateKey(key));
    if (!leaf)
        throw keyMismatch(x509s);
    const facts = describeCertificate(leaf);
    const nowMs = now.getTime();
    if (facts.notAfter.getTime() <= nowMs) {
        throw new CertificateError(CERTIFICATE_PEM, `The certificate in '${CERTIFICATE_PEM}' (${certificateName(facts)}) expired on ${formatInstant(facts.notAfter)}: make a new one, upload it to the ` +
            `app registration (Certificates & secrets → Certificates) and put it with its key in the secret.`);
    }
    if (facts.notBefore.getTime() > nowMs) {
        throw new CertificateError(CERTIFICATE_PEM, `The certificate in '${CERTIFICATE_PEM}' (${certificateName(facts)}) is not valid before ${formatInstant(facts.notBefore)}, and Entra ID refuses it ` +
            `until then: check the dates it was made with (and the runner's clock, now ${formatInstant(now)}).`);
    }
    return { privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), certificate: facts };
}
/** A warning when the certificate expires within {@link EXPIRY_WARNING_DAYS} days of `now`. */
function expiryWarning(certificate, now) {
    const left = certificate.notAfter.getTime() - now.getTime();
    if (left > EXPIRY_WARNING_DAYS * DAY_MS)
        return undefined;
    const days = Math.floor(left / DAY_MS);
    return (`The certificate ${certificateName(certificate)} expires on ${formatInstant(certificate.notAfter)}, ` +
        `${days === 0 ? 'within a day' : `in ${countNoun(days, 'day')}`}; sign-in fails from then on. Make a new one, upload it to the app ` +
        `registration beside the old one (Certificates & secrets → Certificates), and update the '${CERTIFICATE_PEM}' secret.`);
}
/** The subject and thumbprints, for the log and for comparing with the Entra admin center. */
function certificateName(certificate) {
    return `${certificate.subject}, SHA-1 thumbprint ${certificate.thumbprintSha1}`;
}
/**
 * What to mask of a PEM text, beyond the whole value: each line of its private key blocks.
 * The runner hides a masked value only where it appears whole on one log line, and a PEM
 * spans many lines.
 */
function privateKeyLines(text) {
    const lines = new Set();
    for (const block of [...rawBlocks(text.replace(/\r/g, '')), ...pemBlocks(text)]) {
        if (!KEY_LABEL.test(block.label))
            continue;
        for (const line of block.body.split('\n')) {
            const trimmed = line.trim();
            if (trimmed.length >= MIN_MASKED_LINE && !trimmed.includes(':'))
                lines.add(trimmed);
        }
    }
    return [...lines];
}
/**
 * The PEM blocks of a text, rewrapped. Secrets are pasted in many ways: with CRLF, as one
 * line with `\n` written out, or with spaces where the line breaks were; a PEM reader wants
 * 64-character base64 lines.
 */
function pemBlocks(text) {
    let pem = text.replace(/\r\n?/g, '\n');
    if (!pem.includes('\n') && pem.includes('\\n'))
        pem = pem.replaceAll('\\n', '\n');
    return rawBlocks(pem).map(({ label, body }) => {
        // Legacy encrypted keys carry headers (Proc-Type, DEK-Info) that must stay on their lines.
        const content = body.includes(':')
            ? body
                .split('\n')
                .map((line) => line.trim())
                .join('\n')
                .trim()
            : (body.replace(/\s+/g, '').match(/.{1,64}/g) ?? []).join('\n');
        return { label, body: content, pem: `-----BEGIN ${label}-----\n${content}\n-----END ${label}-----\n` };
    });
}
function rawBlocks(text) {
    return [...text.matchAll(BLOCK)].map((match) => ({ label: match[1] ?? '', body: match[2] ?? '' }));
}
function readPrivateKey(block, password) {
    const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(block.pem);
    if (encrypted && password === '') {
        throw new CertificateError(PASSWORD, `The private key in '${CERTIFICATE_PEM}' is encrypted and '${PASSWORD}' is empty: pass its password from a secret ` +
            `(${PASSWORD}: \${{ secrets.M365_CERTIFICATE_PASSWORD }}), or store the key unencrypted in the secret.`);
    }
    let key;
    try {
        key = (0,external_node_crypto_.createPrivateKey)(encrypted ? { key: block.pem, format: 'pem', passphrase: password } : { key: block.pem, format: 'pem' });
    }
    catch (error) {
        if (encrypted) {
            throw new CertificateError(PASSWORD, `Input '${PASSWORD}' does not decrypt the private key in '${CERTIFICATE_PEM}' (${cryptoReason(error)}): check that the password secret belongs to this key.`);
        }
        throw new CertificateError(CERTIFICATE_PEM, `The private key in '${CERTIFICATE_PEM}' cannot be read (${cryptoReason(error)}): it must be an RSA key in PEM, ` +
            `-----BEGIN PRIVATE KEY----- (PKCS#8) or -----BEGIN RSA PRIVATE KEY----- (PKCS#1), complete and unaltered.`);
    }
    if (key.asymmetricKeyType !== 'rsa') {
        throw new CertificateError(CERTIFICATE_PEM, `The private key in '${CERTIFICATE_PEM}' is ${key.asymmetricKeyType === 'ec' ? 'an EC' : `a ${key.asymmetricKeyType ?? 'non-RSA'}`} key; ` +
            `certificate sign-in to Entra ID is signed with RSA: make an RSA key of ${MIN_RSA_BITS} bits or more (openssl req -x509 -newkey rsa:${MIN_RSA_BITS} ...).`);
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
        throw new CertificateError(CERTIFICATE_PEM, `The private key in '${CERTIFICATE_PEM}' has ${bits} bits; Entra ID accepts RSA keys of ${MIN_RSA_BITS} bits or more: make a new ` +
            `certificate with rsa:${MIN_RSA_BITS} (or rsa:4096) and upload it to the app registration.`);
    }
    return key;
}
function readCertificate(block, index, total) {
    try {
        return new external_node_crypto_.X509Certificate(block.pem);
    }
    catch (error) {
        const which = total > 1 ? `Certificate ${index + 1} of ${total}` : 'The certificate';
        throw new CertificateError(CERTIFICATE_PEM, `${which} in '${CERTIFICATE_PEM}' cannot be read (${cryptoReason(error)}): copy the whole PEM block, -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.`);
    }
}
function keyMismatch(certificates) {
    const names = certificates.map((x509) => certificateName(describeCertificate(x509)));
    const which = certificates.length === 1
        ? `its certificate (${names[0]})`
        : `any of its ${certificates.length} certificates (${names.join('; ')})`;
    return new CertificateError(CERTIFICATE_PEM, `The private key in '${CERTIFICATE_PEM}' does not belong to ${which}: the key and the certificate must be the pair made together. ` +
        `Put the certificate uploaded to the app registration with the key it was made with.`);
}
function describeCertificate(x509) {
    return {
        subject: x509.subject.split('\n').filter(Boolean).join(', ') || '(no subject)',
        thumbprintSha1: (0,external_node_crypto_.createHash)('sha1').update(x509.raw).digest('hex').toUpperCase(),
        thumbprintSha256: (0,external_node_crypto_.createHash)('sha256').update(x509.raw).digest('hex').toUpperCase(),
        notBefore: x509.validFromDate,
        notAfter: x509.validToDate
    };
}
/** OpenSSL's reason (`bad decrypt`), never the input: a key must not reach a message. */
function cryptoReason(error) {
    const message = error instanceof Error ? error.message : String(error);
    return /::([^:]+)$/.exec(message)?.[1] ?? 'unreadable';
}

;// CONCATENATED MODULE: ./src/action/masked-values.ts
function maskedValues(setSecret) {
    const values = new Set();
    return {
        mask(value) {
            if (values.has(value))
                return;
            values.add(value);
            setSecret(value);
        },
        redact(text) {
            // Longest first: a value that contains another is replaced whole. Each also as JSON
            // writes it inside a string (a PEM's line breaks as \n), for saved JSON like the ledger.
            const secrets = [...values]
                .filter((value) => value.length >= 4)
                .flatMap((value) => [value, JSON.stringify(value).slice(1, -1)])
                .sort((a, b) => b.length - a.length);
            return secrets.reduce((redacted, secret) => redacted.split(secret).join('***'), text);
        }
    };
}

;// CONCATENATED MODULE: ./src/auth/clouds.ts
/**
 * Microsoft 365 clouds and where each one signs in and serves the Management Activity API.
 * The audience is both the token resource and the API host: the CoE Starter Kit's
 * "Audit Logs - Audience" setting works the same way. Hosts per cloud:
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference
 * and https://learn.microsoft.com/power-platform/guidance/coe/setup-auditlog-http; federation
 * audiences: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
 */
const CLOUDS = ['commercial', 'gcc', 'gcc-high', 'dod'];
/** Federation audience of Entra ID's global service (commercial and GCC). */
const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange';
/** Federation audience of Entra ID for US Government (GCC High and DoD). */
const FEDERATION_AUDIENCE_US_GOV = 'api://AzureADTokenExchangeUSGov';
const PRESETS = {
    commercial: {
        authorityHost: 'https://login.microsoftonline.com',
        audience: 'https://manage.office.com',
        federationAudience: FEDERATION_AUDIENCE,
        graphUrl: 'https://graph.microsoft.com'
    },
    gcc: {
        authorityHost: 'https://login.microsoftonline.com',
        audience: 'https://manage-gcc.office.com',
        federationAudience: FEDERATION_AUDIENCE,
        graphUrl: 'https://graph.microsoft.com'
    },
    'gcc-high': {
        authorityHost: 'https://login.microsoftonline.us',
        audience: 'https://manage.office365.us',
        federationAudience: FEDERATION_AUDIENCE_US_GOV,
        graphUrl: undefined
    },
    dod: {
        authorityHost: 'https://login.microsoftonline.us',
        audience: 'https://manage.protection.apps.mil',
        federationAudience: FEDERATION_AUDIENCE_US_GOV,
        graphUrl: undefined
    }
};
const ALIASES = {
    commercial: 'commercial',
    enterprise: 'commercial',
    gcc: 'gcc',
    'gcc-high': 'gcc-high',
    gcchigh: 'gcc-high',
    dod: 'dod'
};
/** Resolves a cloud name as users type it (`GCC High`, `gcc_high`), or undefined. */
function parseCloud(text) {
    const key = text
        .trim()
        .toLowerCase()
        .replace(/[\s_]+/g, '-');
    return ALIASES[key];
}
/** The endpoints of a cloud preset. */
function cloudEndpoints(cloud) {
    return PRESETS[cloud];
}

;// CONCATENATED MODULE: ./src/record/content-types.ts
/** The five content types of the Office 365 Management Activity API. */
const CONTENT_TYPES = [
    'Audit.AzureActiveDirectory',
    'Audit.Exchange',
    'Audit.SharePoint',
    'Audit.General',
    'DLP.All'
];
/** Resolves a content type regardless of case (`audit.general`), or undefined. */
function parseContentType(text) {
    const wanted = text.trim().toLowerCase();
    return CONTENT_TYPES.find((type) => type.toLowerCase() === wanted);
}
/**
 * The record types the API serves in DLP.All: the ComplianceDLP* types of the RecordType enum
 * (DLP policy matches in Exchange, SharePoint and OneDrive, and their classification events),
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#data-loss-prevention-dlp-schema.
 * Endpoint and on-premises scanner DLP (63, 99, 100) are their own workloads' records.
 */
const DLP_RECORD_TYPES = new Set([11, 13, 33, 107]);
/**
 * The content type the Management Activity API files a record under, from its workload and
 * record type (https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference#working-with-the-office-365-management-activity-api):
 * DLP events → DLP.All; Exchange → Audit.Exchange; SharePoint and OneDrive →
 * Audit.SharePoint; Entra ID (AzureActiveDirectory) → Audit.AzureActiveDirectory; every other
 * workload (Power Platform, Teams, Power BI, …) → Audit.General. An imported record lands in
 * the same day file as the API's copy of it would.
 */
function contentTypeOf(workload, recordType) {
    if (recordType !== undefined && DLP_RECORD_TYPES.has(recordType))
        return 'DLP.All';
    switch (workload?.trim().toLowerCase()) {
        case 'exchange':
            return 'Audit.Exchange';
        case 'sharepoint':
        case 'onedrive':
            return 'Audit.SharePoint';
        case 'azureactivedirectory':
            return 'Audit.AzureActiveDirectory';
        default:
            return 'Audit.General';
    }
}

;// CONCATENATED MODULE: ./src/action/branch-name.ts
/**
 * Git's rules for branch names (git-check-ref-format(1), plus the extra rules `git branch`
 * applies). Checked up front so a typo fails before any data is collected rather than at
 * commit time, when GitHub would answer with a bare 422.
 * Returns the reason the name is invalid, or undefined when git would accept it.
 */
function explainInvalidBranchName(name) {
    if (name === '')
        return 'it is empty';
    if (name === '@')
        return "'@' alone is not a valid name";
    if (name.startsWith('-'))
        return "it must not start with '-'";
    if (name.startsWith('/') || name.endsWith('/'))
        return "it must not start or end with '/'";
    if (name.includes('//'))
        return "it must not contain '//'";
    if (name.includes('..'))
        return "it must not contain '..'";
    if (name.includes('@{'))
        return "it must not contain '@{'";
    if (name.endsWith('.'))
        return "it must not end with '.'";
    // Control characters are exactly what git refuses here.
    // eslint-disable-next-line no-control-regex
    const forbidden = /[\x00-\x20\x7f~^:?*[\\]/.exec(name);
    if (forbidden)
        return `it must not contain ${describeChar(forbidden[0])}`;
    for (const component of name.split('/')) {
        if (component.startsWith('.'))
            return `the part '${component}' must not start with '.'`;
        if (component.endsWith('.lock'))
            return `the part '${component}' must not end with '.lock'`;
    }
    return undefined;
}
function describeChar(char) {
    if (char === ' ')
        return 'spaces';
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f)
        return 'control characters';
    return `'${char}'`;
}

// EXTERNAL MODULE: external "node:timers/promises"
var promises_ = __webpack_require__(8500);
;// CONCATENATED MODULE: ./src/http/quota-limiter.ts

const WINDOW_MS = 60_000;
/** Refusals in a row (no success between them) that mean the quota is used up. */
const PERSISTENT_THROTTLING = 3;
/** The pause after a refusal without Retry-After; it doubles with each refusal in a row. */
const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 2_000;
/**
 * Probe upwards by this share of the limit after PROBE_AFTER_MS without being throttled,
 * while the limit is what holds calls back; each probe that goes unpunished doubles the
 * next one (up to half the limit), so that freed room is found in minutes, and a throttle
 * starts over from the small step.
 */
const FIRST_PROBE_STEP = 0.02;
const MAX_PROBE_STEP = 0.5;
const PROBE_AFTER_MS = 20_000;
function createQuotaLimiter(options) {
    const now = options.now ?? Date.now;
    const wait = options.wait ?? promises_.setTimeout;
    const floor = Math.max(1, options.floor ?? 10);
    const ceiling = Math.max(floor, options.perMinute);
    let limit = ceiling;
    const started = [];
    const succeeded = [];
    let pausedUntil = 0;
    let lastChange = now();
    let probeStep = FIRST_PROBE_STEP;
    let refusalsInARow = 0;
    let queue = Promise.resolve();
    const prune = (times, at) => {
        let drop = 0;
        while (drop < times.length && times[drop] <= at - WINDOW_MS)
            drop++;
        if (drop > 0)
            times.splice(0, drop);
    };
    const take = async () => {
        for (;;) {
            const at = now();
            prune(started, at);
            if (pausedUntil > at) {
                await wait(pausedUntil - at);
                continue;
            }
            if (started.length < Math.floor(limit)) {
                started.push(at);
                return;
            }
            // Held back by the limit: if that has lasted a while without throttling, try a bit more.
            if (limit < ceiling && at - lastChange >= PROBE_AFTER_MS) {
                limit = Math.min(ceiling, limit + Math.max(1, limit * probeStep));
                probeStep = Math.min(MAX_PROBE_STEP, probeStep * 2);
                lastChange = at;
                continue;
            }
            await wait(started[0] + WINDOW_MS - at);
        }
    };
    return {
        acquire() {
            // One waiter at a time, in arrival order, so that the window's arithmetic stays exact.
            const turn = queue.then(take);
            queue = turn.catch(() => undefined);
            return turn;
        },
        throttled(retryAfterMs) {
            const at = now();
            refusalsInARow++;
            const pause = retryAfterMs !== undefined && retryAfterMs > 0
                ? retryAfterMs
                : Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (refusalsInARow - 1));
            pausedUntil = Math.max(pausedUntil, at + pause);
            if (refusalsInARow < PERSISTENT_THROTTLING)
                return;
            prune(succeeded, at);
            limit = Math.min(limit, Math.max(floor, succeeded.length));
            probeStep = FIRST_PROBE_STEP;
            lastChange = at;
        },
        succeeded() {
            refusalsInARow = 0;
            succeeded.push(now());
            if (succeeded.length > 4 * ceiling)
                prune(succeeded, now());
        },
        get limit() {
            return Math.floor(limit);
        }
    };
}
/** The Management API's documented baseline: 2,000 calls a minute per tenant. */
const DOCUMENTED_QUOTA_PER_MINUTE = 2_000;

;// CONCATENATED MODULE: ./src/m365/retention.ts

/**
 * How long the Management Activity API serves content: it lists no window that starts more
 * than 7 days back (AF20055), and no blob created earlier.
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference
 */
const RETENTION_MS = 7 * DAY_MS;
/**
 * Scheduled runs stay this far inside the 7 days: listing happens minutes after planning,
 * and a window that has aged past the limit by then fails (Elastic clamps to 167h55m).
 */
const RETENTION_SAFETY_MS = 5 * MINUTE_MS;
/**
 * How long a blob may still be listed after the UTC day it was created: the 7 days, and a
 * day's margin for the listing's own clock. Past it, the ledger forgets the blob.
 */
const LISTABLE_MS = RETENTION_MS + DAY_MS;
/** The API lists at most 24 hours per request. */
const MAX_WINDOW_MS = DAY_MS;

;// CONCATENATED MODULE: ./src/plan/windows.ts



/** A request that cannot become a valid plan; `input` names the input to fix. */
class PlanError extends Error {
    input;
    constructor(input, message) {
        super(message);
        this.input = input;
        this.name = 'PlanError';
    }
}
/**
 * Plans a run: resolves its range, then cuts it into listing windows of `windowMs`, the
 * last one partial.
 */
function planWindows(request) {
    return splitRange(resolveRange(request.scope, request.now), request.windowMs, request.maxWindows);
}
/** Throws PlanError unless the segment fits the API's windows: 1 minute to 24 hours. */
function checkWindowLength(windowMs) {
    if (!(windowMs >= MINUTE_MS && windowMs <= MAX_WINDOW_MS)) {
        throw new PlanError('segment', `Input 'segment' is ${formatDuration(windowMs)}; it must be between 1m and 24h, because the API lists at most 24 hours per request.`);
    }
    return windowMs;
}
/**
 * Resolves the range a scope asks for at `now` (floored to the minute), inside the API's
 * 7 days. Throws PlanError for a range the API cannot serve.
 */
function resolveRange(scope, now) {
    const minute = floorToMinute(now);
    const oldestReachable = new Date(minute.getTime() - RETENTION_MS);
    const notes = [];
    const { from, to } = scope.mode === 'backfill'
        ? backfillRange(scope, minute, oldestReachable, notes)
        : scheduledRange(scope, minute, oldestReachable, notes);
    return { mode: scope.mode, from, to, notes };
}
/**
 * Cuts a range into windows of `windowMs`. Unlike the CoE flow, a range that needs more
 * than `maxWindows` windows is refused rather than stretched: a stretched last window
 * exceeds 24 h and fails with AF20055.
 */
function splitRange(range, windowMs, maxWindows) {
    const { from, to } = range;
    checkWindowLength(windowMs);
    const count = Math.ceil((to.getTime() - from.getTime()) / windowMs);
    if (count > maxWindows) {
        throw new PlanError('max-segments', `The plan ${formatInstant(from)} to ${formatInstant(to)} in segments of ${formatDuration(windowMs)} takes ${count} segments, more than 'max-segments' (${maxWindows}). ` +
            `Raise 'max-segments' to ${count}, use a longer 'segment', or narrow the range.`);
    }
    const windows = [];
    for (let start = from.getTime(); start < to.getTime(); start += windowMs) {
        windows.push({ start: new Date(start), end: new Date(Math.min(start + windowMs, to.getTime())) });
    }
    return { ...range, windowMs, windows };
}
function backfillRange(scope, now, oldestReachable, notes) {
    const from = scope.start;
    let to = scope.end ?? now;
    if (from.getTime() >= to.getTime()) {
        throw new PlanError('start', scope.end
            ? `Input 'start' (${formatInstant(from)}) must be before 'end' (${formatInstant(to)}).`
            : `Input 'start' (${formatInstant(from)}) is in the future; it must be before now (${formatInstant(now)}).`);
    }
    if (from.getTime() < oldestReachable.getTime()) {
        throw new PlanError('start', `Input 'start' (${formatInstant(from)}) is ${describeAge(now, from)} ago; the Management Activity API keeps content for 7 days, ` +
            `so the oldest start is ${formatInstant(oldestReachable)}. For older history, set 'source: auto' (Microsoft Graph audit log ` +
            `queries for what the API no longer serves; the app needs the Microsoft Graph application permission AuditLogsQuery.Read.All ` +
            `with admin consent), or export the audit log from Microsoft Purview and merge it in with the 'import' input.`);
    }
    if (to.getTime() > now.getTime()) {
        notes.push(`'end' (${formatInstant(to)}) is in the future; the plan stops at now (${formatInstant(now)}).`);
        to = now;
    }
    return { from, to };
}
function scheduledRange(scope, now, oldestReachable, notes) {
    if (!(scope.lookbackMs > 0 && scope.lookbackMs <= RETENTION_MS)) {
        throw new PlanError('lookback', `Input 'lookback' is ${formatDuration(scope.lookbackMs)}; it must be more than 0 and at most 7d, the API's retention.`);
    }
    const lookbackStart = now.getTime() - scope.lookbackMs;
    const wanted = Math.min(lookbackStart, scope.coveredUntil?.getTime() ?? lookbackStart);
    const earliest = oldestReachable.getTime() + RETENTION_SAFETY_MS;
    const from = Math.max(wanted, earliest);
    if (scope.coveredUntil && scope.coveredUntil.getTime() < earliest) {
        notes.push(`Earlier runs covered up to ${formatInstant(scope.coveredUntil)}, which is past the API's 7 days; ` +
            `content from then until ${formatInstant(new Date(from))} can no longer be listed (use a Purview export to fill it).`);
    }
    return { from: new Date(from), to: now };
}
function describeAge(now, then) {
    return formatDuration(Math.floor((now.getTime() - then.getTime()) / MINUTE_MS) * MINUTE_MS);
}

;// CONCATENATED MODULE: ./src/branch/paths.ts
/** Where the ledger lives on the data branch. */
const LEDGER_PATH = 'state/ledger.json';
/** Where the manifest lives on the data branch. */
const MANIFEST_PATH = 'manifest.json';
/** The data branch's README: layout, columns, recipes and coverage. */
const README_PATH = 'README.md';
/** The coverage chart the README embeds, beside it (a relative link GitHub renders). */
const COVERAGE_CHART_PATH = 'coverage.svg';
/** The formats a day file is written in; each is also its files' extension. */
const FORMAT_NAMES = ['csv', 'parquet'];
/**
 * `audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.<format>`: one file per content type and UTC
 * day, or `<YYYY-MM-DD>.<part>.<format>` (part 1, 2, …) for a day too large for one file: the
 * day's canonical layout, sorted by CreationTime then Id. Rows that later runs add to a day
 * that is not settled yet go to additions beside it (`additionPath`) until the day is
 * compacted back into this layout.
 */
function dayFilePath(contentType, day, format, part) {
    const [year, month] = day.split('-');
    return `audit/${contentType}/${year}/${month}/${day}${part === undefined ? '' : `.${part}`}.${format}`;
}
/** The paths a day's snapshot is written to: one file, or numbered parts. */
function dayFilePaths(contentType, day, format, parts) {
    if (parts <= 1)
        return [dayFilePath(contentType, day, format)];
    return Array.from({ length: parts }, (_, index) => dayFilePath(contentType, day, format, index + 1));
}
/**
 * `audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.added-<n>.<format>`: the n-th file of rows a
 * later run added to the day, sorted within itself; every row of a day is in exactly one of
 * its files.
 */
function additionPath(contentType, day, format, n) {
    const [year, month] = day.split('-');
    return `audit/${contentType}/${year}/${month}/${day}.added-${n}.${format}`;
}
/**
 * `state/keys/<ContentType>/<YYYY>/<MM>/<file>.keys`: the record keys of one day file of a day
 * that is not settled, so that a later run can tell which of its rows the day already holds
 * without reading the day (see day-keys.ts).
 */
function keyFilePath(dayFile) {
    return `${KEYS_FOLDER}${dayFile.slice('audit/'.length)}.keys`;
}
const DAY_PATH = new RegExp(`^audit/([^/]+)/(\\d{4})/(\\d{2})/((\\d{4})-(\\d{2})-\\d{2})(?:\\.([1-9]\\d*)|\\.added-([1-9]\\d*))?\\.(${FORMAT_NAMES.join('|')})$`);
/**
 * Reads a day file's path (`dayFilePath`, `additionPath`), or undefined when it is none: the
 * one parser of the layout, so that finding, compacting and counting a day agree on its files.
 */
function parseDayPath(path) {
    const match = DAY_PATH.exec(path);
    if (!match)
        return undefined;
    const [, type, year, month, day, dayYear, dayMonth, part, addition, format] = match;
    // The folders are the day's own: a file filed under another month is not that day's.
    if (year !== dayYear || month !== dayMonth)
        return undefined;
    return {
        type: type,
        day: day,
        format: format,
        ...(part === undefined ? {} : { part: Number(part) }),
        ...(addition === undefined ? {} : { addition: Number(addition) })
    };
}
/**
 * A day's files among `paths`, per format: its canonical files (the single file first, then
 * the parts in part order) and its additions (by number). Whatever layout an earlier run
 * left, all of it is found.
 */
function findDayFilesByFormat(paths, contentType, day) {
    const found = new Map();
    for (const path of paths) {
        const parsed = parseDayPath(path);
        if (!parsed || parsed.type !== contentType || parsed.day !== day)
            continue;
        let files = found.get(parsed.format);
        if (!files)
            found.set(parsed.format, (files = { parts: [], additions: [] }));
        if (parsed.addition === undefined)
            files.parts.push({ path, n: parsed.part ?? 0 });
        else
            files.additions.push({ path, n: parsed.addition });
    }
    const inOrder = (entries) => entries.sort((a, b) => a.n - b.n).map((entry) => entry.path);
    return new Map([...found].map(([format, files]) => [format, { parts: inOrder(files.parts), additions: inOrder(files.additions) }]));
}
/** The canonical files of a day in a format (see `findDayFilesByFormat`). */
function findDayFiles(paths, contentType, day, format) {
    return findDayFilesByFormat(paths, contentType, day).get(format)?.parts ?? [];
}
/**
 * The days of each content type that are not in their canonical layout alone: days with
 * additions or key files, in any format (the days a settling compacts or lets go of keys).
 */
function daysWithAdditionsOrKeys(paths) {
    const seen = new Map();
    for (const path of paths) {
        const parsed = path.startsWith(KEYS_FOLDER)
            ? path.endsWith('.keys')
                ? parseDayPath(`audit/${path.slice(KEYS_FOLDER.length, -'.keys'.length)}`)
                : undefined
            : parseDayPath(path);
        if (!parsed || (parsed.addition === undefined && !path.startsWith(KEYS_FOLDER)))
            continue;
        seen.set(`${parsed.type} ${parsed.day}`, { type: parsed.type, day: parsed.day });
    }
    return [...seen.values()];
}
/** The number of an addition (`<day>.added-<n>.<format>`), or undefined when the path is none. */
function additionNumber(path) {
    return parseDayPath(path)?.addition;
}
/** Whether a path is an addition of a day, in any format. */
function isAddition(path) {
    return additionNumber(path) !== undefined;
}
/** Where key files live (`keyFilePath`). */
const KEYS_FOLDER = 'state/keys/';
/** Whether a path is a key file (`keyFilePath`). */
function isKeyFile(path) {
    return path.startsWith(KEYS_FOLDER) && path.endsWith('.keys');
}

;// CONCATENATED MODULE: ./src/branch/held-days.ts



/** The code a held day has in failure lists. */
const HELD_DAY_CODE = 'DayNotMerged';
/** Where held files live (`heldPath`). */
const HELD_FOLDER = 'state/held/';
/** `state/held/<ContentType>/<YYYY-MM-DD>.<n>.csv`: the n-th file of a day's held rows. */
function heldPath(type, day, n) {
    return `${HELD_FOLDER}${type}/${day}.${n}.csv`;
}
const HELD_PATH = /^state\/held\/([^/]+)\/(\d{4}-\d{2}-\d{2})\.([1-9]\d*)\.csv$/;
/** The held files among `paths`, per content type and day, in order, with the number after the last. */
function findHeldFiles(paths) {
    const found = new Map();
    for (const path of paths) {
        const match = HELD_PATH.exec(path);
        if (!match || !CONTENT_TYPES.includes(match[1]))
            continue;
        const type = match[1];
        const day = match[2];
        const key = `${type} ${day}`;
        let entry = found.get(key);
        if (!entry)
            found.set(key, (entry = { type, day, files: [] }));
        entry.files.push({ path, n: Number(match[3]) });
    }
    return [...found.values()]
        .sort((a, b) => (a.type === b.type ? (a.day < b.day ? -1 : 1) : a.type < b.type ? -1 : 1))
        .map(({ type, day, files }) => {
        files.sort((a, b) => a.n - b.n);
        return { type, day, paths: files.map((file) => file.path), nextNumber: files.at(-1).n + 1 };
    });
}
/** A held day as the failure issue and the summary list it: the day as its window. */
function heldDayWindow(held) {
    const start = Date.parse(`${held.day}T00:00:00Z`);
    const where = held.file ? `${held.file}: ` : '';
    const rows = held.rows > 0 ? ` ${held.rows} new rows wait in state/held/ on the branch.` : '';
    return {
        start: formatInstant(new Date(start)),
        end: formatInstant(new Date(start + DAY_MS)),
        code: HELD_DAY_CODE,
        message: `${where}${held.reason}${rows} Fix the file (or restore it from the branch's history); the next run merges the day.`
    };
}
/** Held days of a ledger entry as written by any hand: only well-formed ones are kept. */
function readHeldDays(value) {
    if (!Array.isArray(value))
        return [];
    return value.flatMap((raw) => {
        const entry = raw;
        if (!entry ||
            typeof entry.day !== 'string' ||
            !/^\d{4}-\d{2}-\d{2}$/.test(entry.day) ||
            Number.isNaN(Date.parse(`${entry.day}T00:00:00Z`)) ||
            typeof entry.reason !== 'string' ||
            typeof entry.firstFailure !== 'string' ||
            !parseInstant(entry.firstFailure) ||
            typeof entry.lastFailure !== 'string' ||
            !parseInstant(entry.lastFailure))
            return [];
        return [
            {
                day: entry.day,
                ...(typeof entry.file === 'string' ? { file: entry.file } : {}),
                reason: entry.reason,
                rows: Number.isSafeInteger(entry.rows) && entry.rows >= 0 ? entry.rows : 0,
                attempts: Number.isSafeInteger(entry.attempts) && entry.attempts > 0 ? entry.attempts : 1,
                firstFailure: entry.firstFailure,
                lastFailure: entry.lastFailure
            }
        ];
    });
}
/** A content type's held days after a commit: new ones added, failing ones counted, merged ones gone. */
function nextHeldDays(previous, type, changes, now) {
    const merged = new Set(changes.merged.filter((entry) => entry.type === type).map((entry) => entry.day));
    const failing = new Map(changes.held.filter((entry) => entry.type === type).map((entry) => [entry.day, entry]));
    const held = [];
    const recovered = [];
    for (const entry of previous) {
        if (merged.has(entry.day))
            recovered.push(entry);
        else if (!failing.has(entry.day))
            held.push(entry);
    }
    for (const [day, failure] of failing) {
        const before = previous.find((entry) => entry.day === day);
        held.push({
            day,
            ...(failure.file ? { file: failure.file } : {}),
            reason: failure.reason,
            rows: failure.rows,
            attempts: (before?.attempts ?? 0) + 1,
            firstFailure: before?.firstFailure ?? now,
            lastFailure: now
        });
    }
    return { held: held.sort((a, b) => (a.day < b.day ? -1 : 1)), recovered };
}

;// CONCATENATED MODULE: ./src/branch/retention.ts





/** The fewest days `retention-days` may keep: the Management API's 7 days and today. */
const MIN_RETENTION_DAYS = 8;
/** The first UTC day (`YYYY-MM-DD`) that `days` of retention keep at `now`, today counted. */
function retentionCutoffDay(now, days) {
    return utcDay(new Date(now.getTime() - (days - 1) * DAY_MS));
}
/**
 * Folders whose files belong to one UTC day, named by it (`…/<YYYY-MM-DD>…`): the day files,
 * their key files, the usage files and their state, held rows.
 */
const DAY_FOLDERS = ['audit/', 'usage/', KEYS_FOLDER, 'state/usage/', HELD_FOLDER];
const DAY_IN_NAME = /\/(\d{4}-\d{2}-\d{2})[^/]*$/;
/** The day a branch file belongs to, if it belongs to one. */
function dayOfPath(path) {
    if (!DAY_FOLDERS.some((folder) => path.startsWith(folder)))
        return undefined;
    return DAY_IN_NAME.exec(path)?.[1];
}
/** The files of days before `cutoffDay`, and those days. */
function filesBefore(paths, cutoffDay) {
    const old = [];
    const days = new Set();
    for (const path of paths) {
        const day = dayOfPath(path);
        if (day === undefined || day >= cutoffDay)
            continue;
        old.push(path);
        days.add(day);
    }
    return { paths: old.sort(), days: [...days].sort() };
}
/** The manifest without the entries of erased files. */
function manifestWithout(manifest, erased) {
    return {
        version: 1,
        files: Object.fromEntries(Object.entries(manifest.files).filter(([path]) => !erased.has(path)))
    };
}
/**
 * The ledger without what it says about erased days: failed windows and gaps that end by the
 * cutoff (the coverage table would show days that are gone), held days and untimed placements
 * before it. What it says about collection (coverage, blobs read, Graph's windows) stays: the
 * erased days were collected, and must not be collected again.
 */
function ledgerWithout(ledger, cutoffDay) {
    const cutoff = `${cutoffDay}T00:00:00Z`;
    const next = { ...ledger, contentTypes: {} };
    // Graph's failed windows of erased days would be queried again, for days erased again.
    if (ledger.graph)
        next.graph = { ...ledger.graph, failed: ledger.graph.failed.filter((failure) => failure.end > cutoff) };
    for (const [type, entry] of Object.entries(ledger.contentTypes)) {
        if (!entry)
            continue;
        const untimed = Object.fromEntries(Object.entries(entry.untimed ?? {}).filter(([, time]) => time >= cutoff));
        const held = (entry.held ?? []).filter((day) => day.day >= cutoffDay);
        next.contentTypes[type] = {
            ...entry,
            failed: entry.failed.filter((failure) => failure.end > cutoff),
            gaps: entry.gaps.filter((gap) => gap.end > cutoff),
            ...(Object.keys(untimed).length > 0 ? { untimed } : { untimed: undefined }),
            ...(held.length > 0 ? { held } : { held: undefined })
        };
    }
    return next;
}
/** `2 days before 2026-12-01 (2026-10-01 to 2026-10-02, 3 files)`, after a verb: what retention erases. */
function describeErasure(old, keptFrom, verb) {
    return `${verb} ${countNoun(old.days.length, 'day')} before ${keptFrom} (${old.days[0]} to ${old.days.at(-1)}, ${countNoun(old.paths.length, 'file')})`;
}

;// CONCATENATED MODULE: ./src/plan/sources.ts



/**
 * Where a run's records come from: the Management Activity API (7 days, every content type),
 * Microsoft Graph audit log queries (the whole audit retention: the CoE Starter Kit's "Audit
 * Logs - Use Graph API" mode), or both: the Management API for what it still serves and
 * Graph for anything older.
 */
const SOURCE_NAMES = ['management-api', 'graph', 'auto'];
/**
 * How far Graph's part of an `auto` backfill reaches into the Management API's 7 days: to the
 * UTC midnight a day or two past the line. The Management API lists content by when it was
 * published, Graph finds records by when they happened; a record that happened just before
 * the line can be in content published after it, or before. A day or more of overlap puts
 * every such record in one source or both (both copies have the same Id and land once), and
 * an end on a midnight stays the same all day, so a backfill run again the same day asks
 * Graph for nothing new.
 */
function graphPartEnd(listable) {
    return new Date(startOfUtcDay(listable.getTime()) + 2 * DAY_MS);
}
/** The oldest start the Management API can still list at `now`, with the safety margin the planner keeps. */
function oldestListableStart(now) {
    return new Date(floorToMinute(now).getTime() - RETENTION_MS + RETENTION_SAFETY_MS);
}
/** Splits a scope between the sources of a run. */
function splitScope(scope, source, now) {
    if (source === 'management-api')
        return { management: scope, graph: undefined };
    if (source === 'graph') {
        if (scope.mode === 'scheduled')
            return { management: undefined, graph: { kind: 'scheduled', lookbackMs: scope.lookbackMs } };
        const end = scope.end && scope.end < now ? scope.end : now;
        return { management: undefined, graph: { kind: 'range', range: { start: scope.start, end } } };
    }
    if (scope.mode === 'scheduled')
        return { management: scope, graph: undefined };
    const listable = oldestListableStart(now);
    if (scope.start >= listable)
        return { management: scope, graph: undefined };
    const end = scope.end && scope.end < now ? scope.end : now;
    const graphEnd = new Date(Math.min(end.getTime(), graphPartEnd(listable).getTime()));
    const management = end > listable ? { mode: 'backfill', start: listable, ...(scope.end ? { end: scope.end } : {}) } : undefined;
    return { management, graph: { kind: 'range', range: { start: scope.start, end: graphEnd } } };
}
/**
 * The Management API's windows of an `auto` backfill as they can still be listed at `now`: a
 * run that first waited for Graph queries (up to `graph-wait`) finds its oldest windows past
 * the 7 days. They are cut at the oldest start the API still serves; what is cut off lies in
 * the day Graph's part overlaps, so nothing falls between the sources.
 */
function stillListable(windows, now) {
    const oldest = oldestListableStart(now);
    return windows.flatMap((window) => {
        if (window.range.start >= oldest)
            return [window];
        if (window.range.end <= oldest)
            return [];
        return [{ ...window, range: { start: oldest, end: window.range.end } }];
    });
}

;// CONCATENATED MODULE: ./src/util/error-message.ts
/** The message of anything thrown, for logs and annotations. */
function errorMessage(error) {
    if (error instanceof Error)
        return error.message;
    return String(error);
}

;// CONCATENATED MODULE: ./src/auth/github-oidc.ts
/**
 * GitHub Actions OIDC as the app's credential: the job's ID token from GitHub is the client
 * assertion, and a federated credential on the app registration says which workflow's tokens
 * Entra ID trusts. No secret is stored anywhere.
 * https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 * https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust
 */

/** The `iss` of GitHub's tokens on github.com. */
const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com';
/** The runner sets these only for jobs allowed `id-token: write`. */
const REQUEST_URL = 'ACTIONS_ID_TOKEN_REQUEST_URL';
const REQUEST_TOKEN = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN';
/** What a workflow needs to declare for OIDC sign-in (and the action's other work). */
const PERMISSIONS_BLOCK = [
    'permissions:',
    '  id-token: write # sign in to Entra ID with GitHub OIDC',
    '  contents: write # commit snapshots to the data branch',
    '  issues: write # open, update and close the failure issue'
].join('\n');
/** Whether this job may ask GitHub for an ID token. */
function oidcAvailable(env) {
    return Boolean(env[REQUEST_URL]?.trim() && env[REQUEST_TOKEN]?.trim());
}
/** The token that lets the job ask for ID tokens: not an input, but a secret all the same. */
function oidcRequestToken(env) {
    return env[REQUEST_TOKEN]?.trim() || undefined;
}
/**
 * The issuer, subject and audience of a GitHub token, read without checking its signature:
 * they only go into messages, and Entra ID does the checking.
 */
function presentedToken(jwt) {
    try {
        const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
        if (typeof payload !== 'object' || payload === null)
            return undefined;
        const claims = payload;
        const aud = Array.isArray(claims['aud']) ? claims['aud'].join(', ') : claims['aud'];
        return typeof claims['sub'] === 'string'
            ? { issuer: String(claims['iss'] ?? ''), subject: claims['sub'], audience: String(aud ?? '') }
            : undefined;
    }
    catch {
        return undefined;
    }
}
/** GitHub did not hand out an ID token. */
class OidcTokenError extends Error {
    constructor(message) {
        super(message);
        this.name = 'OidcTokenError';
    }
}
/**
 * MSAL's client-assertion callback: a new GitHub token each time it is called, so that no
 * token outlives its few minutes. `onToken` hears what each token presents.
 */
function gitHubAssertion(getIDToken, audience, onToken) {
    return async () => {
        let token;
        try {
            token = await getIDToken(audience);
        }
        catch (error) {
            throw new OidcTokenError(`GitHub did not issue an OIDC token for audience '${audience}' (${oneLine(errorMessage(error)).replace(/^Error message:\s*/i, '')}). ` +
                `The job needs 'id-token: write' in its permissions, and pull requests from forks never get one.`);
        }
        onToken(presentedToken(token));
        return token;
    };
}
/** @actions/core's errors spread over several indented lines. */
function oneLine(text) {
    return text.replace(/\s+/g, ' ').trim();
}

;// CONCATENATED MODULE: ./src/action/credential-inputs.ts
/**
 * The app's credential, from the inputs: exactly one of a client secret, a certificate, or
 * (with neither) GitHub OIDC. Everything about it is decided here, before any request.
 */





/**
 * Every value to mask as soon as the inputs are read: the secrets whole, and each line of a
 * private key, since the runner hides a value only where it appears whole on one line.
 */
function inputSecrets(inputs, env) {
    const values = [
        inputs.clientSecret,
        inputs.certificatePassword,
        inputs.certificate,
        ...privateKeyLines(inputs.certificate),
        oidcRequestToken(env)
    ];
    return unique(values);
}
/** Values derived from the inputs that are just as secret: the key MSAL gets, line by line. */
function credentialSecrets(credential) {
    return credential.kind === 'certificate'
        ? unique([credential.privateKeyPem.trim(), ...privateKeyLines(credential.privateKeyPem)])
        : [];
}
/** The credential, or undefined after reporting why there is none. */
function readCredential(inputs, context, problem) {
    const hasSecret = inputs.clientSecret !== '';
    const hasCertificate = inputs.certificate.trim() !== '';
    const oidcAudience = inputs.oidcAudience.trim();
    if (hasSecret && hasCertificate) {
        return problem(Inputs.Certificate, `Inputs '${Inputs.ClientSecret}' and '${Inputs.Certificate}' are both set; the action signs in with exactly one credential: ` +
            `remove '${Inputs.ClientSecret}' to use the certificate, or '${Inputs.Certificate}' to use the secret.`);
    }
    if (inputs.certificatePassword !== '' && !hasCertificate) {
        return problem(Inputs.CertificatePassword, `Input '${Inputs.CertificatePassword}' is set but '${Inputs.Certificate}' is empty: the password decrypts the private key given in '${Inputs.Certificate}'.`);
    }
    if (oidcAudience !== '' && (hasSecret || hasCertificate)) {
        const other = hasSecret ? Inputs.ClientSecret : Inputs.Certificate;
        return problem(Inputs.OidcAudience, `Input '${Inputs.OidcAudience}' is for GitHub OIDC sign-in, which is used only when neither '${Inputs.ClientSecret}' nor '${Inputs.Certificate}' is set: ` +
            `remove '${Inputs.OidcAudience}', or remove '${other}' to sign in with OIDC.`);
    }
    if (hasSecret)
        return { kind: 'client-secret', secret: inputs.clientSecret };
    if (hasCertificate) {
        try {
            const certificate = readClientCertificate(inputs.certificate, inputs.certificatePassword, context.now);
            return { kind: 'certificate', ...certificate };
        }
        catch (error) {
            if (error instanceof CertificateError)
                return problem(error.input, error.message);
            throw error;
        }
    }
    return readOidc(oidcAudience, context, problem);
}
/** A line for the log on how the run signs in; nothing secret. */
function describeCredential(credential) {
    if (!credential)
        return 'No sign-in: this run only imports and asks Microsoft for nothing.';
    switch (credential.kind) {
        case 'client-secret':
            return 'Sign-in with a client secret.';
        case 'certificate':
            return (`Sign-in with the certificate ${certificateName(credential.certificate)} ` +
                `(x5t#S256 ${credential.certificate.thumbprintSha256}), valid until ${formatInstant(credential.certificate.notAfter)}.`);
        case 'github-oidc':
            return `Sign-in with GitHub OIDC: GitHub's token for audience ${credential.audience}, exchanged through a federated credential of the app.`;
    }
}
function readOidc(audienceInput, context, problem) {
    if (/\s/.test(audienceInput)) {
        return problem(Inputs.OidcAudience, `Input '${Inputs.OidcAudience}' must be one audience, such as ${FEDERATION_AUDIENCE}; got '${audienceInput}'.`);
    }
    if (!oidcAvailable(context.env)) {
        const app = context.clientId ?? `(${Inputs.ClientId})`;
        const intro = audienceInput !== ''
            ? `GitHub OIDC sign-in ('${Inputs.OidcAudience}' is set) needs an ID token from GitHub, and this job may not ask for one`
            : `No credential for app ${app}: set '${Inputs.ClientSecret}' to a client secret of the app, or '${Inputs.Certificate}' to a PEM ` +
                `with its private key and certificate, each from a repository secret (for example ${Inputs.ClientSecret}: \${{ secrets.M365_CLIENT_SECRET }}). ` +
                `Or sign in with GitHub OIDC and keep no secret at all; this job may not ask GitHub for an ID token`;
        return problem(audienceInput !== '' ? Inputs.OidcAudience : Inputs.ClientSecret, `${intro} (ACTIONS_ID_TOKEN_REQUEST_URL is not set). Grant it in the workflow or the job:\n${PERMISSIONS_BLOCK}\n` +
            `and add a federated credential for this workflow to the app (see docs/sign-in.md of the action). Pull requests from forks never get an ID token.`);
    }
    const audience = audienceInput || (context.cloud ? cloudEndpoints(context.cloud).federationAudience : FEDERATION_AUDIENCE);
    return { kind: 'github-oidc', audience };
}
function unique(values) {
    return [...new Set(values.filter((value) => value !== undefined && value.trim() !== ''))];
}

;// CONCATENATED MODULE: ./src/record/record-types.ts
/**
 * The API's RecordType enum (`AuditLogRecordType`): the number each record carries in
 * `RecordType`, and the member name Microsoft Purview and the Graph audit API show for it.
 * From the "Enum: AuditLogRecordType" table of the Management Activity API schema,
 * https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-schema#auditlogrecordtype,
 * plus the Power Platform types that table does not list yet (79, 187 and 256, from
 * https://learn.microsoft.com/power-platform/admin/activity-logging-auditing/activity-logs-power-apps
 * and the Purview record-type list). New types appear often: a number not listed here is
 * still a valid filter, only its name is unknown.
 */
const RECORD_TYPES = new Map([
    [1, 'ExchangeAdmin'],
    [2, 'ExchangeItem'],
    [3, 'ExchangeItemGroup'],
    [4, 'SharePoint'],
    [6, 'SharePointFileOperation'],
    [7, 'OneDrive'],
    [8, 'AzureActiveDirectory'],
    [9, 'AzureActiveDirectoryAccountLogon'],
    [10, 'DataCenterSecurityCmdlet'],
    [11, 'ComplianceDLPSharePoint'],
    [13, 'ComplianceDLPExchange'],
    [14, 'SharePointSharingOperation'],
    [15, 'AzureActiveDirectoryStsLogon'],
    [16, 'SkypeForBusinessPSTNUsage'],
    [17, 'SkypeForBusinessUsersBlocked'],
    [18, 'SecurityComplianceCenterEOPCmdlet'],
    [19, 'ExchangeAggregatedOperation'],
    [20, 'PowerBIAudit'],
    [21, 'CRM'],
    [22, 'Yammer'],
    [23, 'SkypeForBusinessCmdlets'],
    [24, 'Discovery'],
    [25, 'MicrosoftTeams'],
    [28, 'ThreatIntelligence'],
    [29, 'MailSubmission'],
    [30, 'MicrosoftFlow'],
    [31, 'AeD'],
    [32, 'MicrosoftStream'],
    [33, 'ComplianceDLPSharePointClassification'],
    [34, 'ThreatFinder'],
    [35, 'Project'],
    [36, 'SharePointListOperation'],
    [37, 'SharePointCommentOperation'],
    [38, 'DataGovernance'],
    [39, 'Kaizala'],
    [40, 'SecurityComplianceAlerts'],
    [41, 'ThreatIntelligenceUrl'],
    [42, 'SecurityComplianceInsights'],
    [43, 'MIPLabel'],
    [44, 'WorkplaceAnalytics'],
    [45, 'PowerAppsApp'],
    [46, 'PowerAppsPlan'],
    [47, 'ThreatIntelligenceAtpContent'],
    [48, 'LabelContentExplorer'],
    [49, 'TeamsHealthcare'],
    [50, 'ExchangeItemAggregated'],
    [51, 'HygieneEvent'],
    [52, 'DataInsightsRestApiAudit'],
    [53, 'InformationBarrierPolicyApplication'],
    [54, 'SharePointListItemOperation'],
    [55, 'SharePointContentTypeOperation'],
    [56, 'SharePointFieldOperation'],
    [57, 'MicrosoftTeamsAdmin'],
    [58, 'HRSignal'],
    [59, 'MicrosoftTeamsDevice'],
    [60, 'MicrosoftTeamsAnalytics'],
    [61, 'InformationWorkerProtection'],
    [62, 'Campaign'],
    [63, 'DLPEndpoint'],
    [64, 'AirInvestigation'],
    [65, 'Quarantine'],
    [66, 'MicrosoftForms'],
    [67, 'ApplicationAudit'],
    [68, 'ComplianceSupervisionExchange'],
    [69, 'CustomerKeyServiceEncryption'],
    [70, 'OfficeNative'],
    [71, 'MipAutoLabelSharePointItem'],
    [72, 'MipAutoLabelSharePointPolicyLocation'],
    [73, 'MicrosoftTeamsShifts'],
    [75, 'MipAutoLabelExchangeItem'],
    [76, 'CortanaBriefing'],
    [78, 'WDATPAlerts'],
    [79, 'PowerAppsResource'],
    [82, 'SensitivityLabelPolicyMatch'],
    [83, 'SensitivityLabelAction'],
    [84, 'SensitivityLabeledFileAction'],
    [85, 'AttackSim'],
    [86, 'AirManualInvestigation'],
    [87, 'SecurityComplianceRBAC'],
    [88, 'UserTraining'],
    [89, 'AirAdminActionInvestigation'],
    [90, 'MSTIC'],
    [91, 'PhysicalBadgingSignal'],
    [93, 'AipDiscover'],
    [94, 'AipSensitivityLabelAction'],
    [95, 'AipProtectionAction'],
    [96, 'AipFileDeleted'],
    [97, 'AipHeartBeat'],
    [98, 'MCASAlerts'],
    [99, 'OnPremisesFileShareScannerDlp'],
    [100, 'OnPremisesSharePointScannerDlp'],
    [101, 'ExchangeSearch'],
    [102, 'SharePointSearch'],
    [103, 'PrivacyInsights'],
    [105, 'MyAnalyticsSettings'],
    [106, 'SecurityComplianceUserChange'],
    [107, 'ComplianceDLPExchangeClassification'],
    [109, 'MipExactDataMatch'],
    [113, 'MS365DCustomDetection'],
    [147, 'CoreReportingSettings'],
    [148, 'ComplianceConnector'],
    [154, 'OMEPortal'],
    [174, 'DataShareOperation'],
    [181, 'EduDataLakeDownloadOperation'],
    [183, 'MicrosoftGraphDataConnectOperation'],
    [186, 'PowerPagesSite'],
    [187, 'PowerPlatformAdminDlp'],
    [188, 'PlannerPlan'],
    [189, 'PlannerCopyPlan'],
    [190, 'PlannerTask'],
    [191, 'PlannerRoster'],
    [192, 'PlannerPlanList'],
    [193, 'PlannerTaskList'],
    [194, 'PlannerTenantSettings'],
    [195, 'ProjectForTheWebProject'],
    [196, 'ProjectForTheWebTask'],
    [197, 'ProjectForTheWebRoadmap'],
    [198, 'ProjectForTheWebRoadmapItem'],
    [199, 'ProjectForTheWebProjectSettings'],
    [200, 'ProjectForTheWebRoadmapSettings'],
    [216, 'VivaGoals'],
    [217, 'MicrosoftGraphDataConnectConsent'],
    [230, 'TeamsUpdates'],
    [231, 'PlannerRosterSensitivityLabel'],
    [256, 'PowerPlatformAdministratorActivity']
]);
/** Names compared without case or spaces (the schema writes 216 as "Viva Goals"). */
const nameKey = (name) => name.toLowerCase().replace(/\s+/g, '');
const BY_NAME = new Map([...RECORD_TYPES].map(([value, name]) => [nameKey(name), value]));
/**
 * A record type given as its number (`256`) or its enum name in any case
 * (`powerplatformadministratoractivity`); undefined for an unknown name.
 */
function parseRecordType(text) {
    const trimmed = text.trim();
    if (/^\d{1,6}$/.test(trimmed))
        return Number(trimmed);
    return BY_NAME.get(nameKey(trimmed));
}
/** `PowerAppsApp (45)`, or the bare number of a type the table does not name. */
function describeRecordType(value) {
    const name = RECORD_TYPES.get(value);
    return name ? `${name} (${value})` : String(value);
}
/**
 * A few enum members to suggest for a name that is not one: those that contain it or that it
 * contains (`PowerApp` → PowerAppsApp, PowerAppsPlan, PowerAppsResource), else the types a
 * CoE set-up filters on most.
 */
function suggestRecordTypes(text, count = 4) {
    const wanted = text
        .trim()
        .toLowerCase()
        .replace(/[\s_-]/g, '');
    const close = wanted.length < 3
        ? []
        : [...RECORD_TYPES].filter(([, name]) => {
            const lower = name.toLowerCase();
            return lower.includes(wanted) || wanted.includes(lower);
        });
    const picked = close.length > 0 ? close : [45, 256, 30, 6].map((value) => [value, RECORD_TYPES.get(value)]);
    return picked.slice(0, count).map(([value]) => describeRecordType(value));
}

;// CONCATENATED MODULE: ./src/util/digest.ts

/** The first `bytes` bytes of the SHA-256 of `text` (UTF-8): a short, stable name that reveals nothing. */
function sha256Prefix(text, bytes, encoding = 'base64') {
    return (0,external_node_crypto_.createHash)('sha256').update(text, 'utf8').digest().subarray(0, bytes).toString(encoding);
}

;// CONCATENATED MODULE: ./src/record/filter.ts


/** A filter that keeps everything. */
const KEEP_ALL = { operations: [], workloads: [], recordTypes: [] };
/** Whether the filter drops anything at all. */
function isFiltering(filter) {
    return filter.operations.length > 0 || filter.workloads.length > 0 || filter.recordTypes.length > 0;
}
/**
 * The filter as the ledger remembers it: '' when it keeps everything, else a digest that
 * ignores order and case. Blobs read under one filter are not "collected" under another.
 */
function filterDigest(filter) {
    if (!isFiltering(filter))
        return '';
    const lower = (values) => values.map((value) => String(value).toLowerCase()).sort();
    return sha256Prefix(JSON.stringify([lower(filter.operations), lower(filter.workloads), lower(filter.recordTypes)]), 6, 'hex');
}
/** The matcher for a filter, or undefined when it keeps everything (callers skip the test). */
function compileFilter(filter) {
    if (!isFiltering(filter))
        return undefined;
    const operations = filter.operations.length > 0 ? new Set(filter.operations.map((name) => name.toLowerCase())) : undefined;
    const workloads = filter.workloads.length > 0 ? new Set(filter.workloads.map((name) => name.toLowerCase())) : undefined;
    const recordTypes = filter.recordTypes.length > 0 ? new Set(filter.recordTypes) : undefined;
    return {
        matches(read) {
            if (operations && !operations.has((read('Operation') ?? '').toLowerCase()))
                return false;
            if (workloads && !workloads.has((read('Workload') ?? '').toLowerCase()))
                return false;
            if (recordTypes) {
                const value = read('RecordType');
                // The API writes the number; an export or another tool may write the enum name.
                const type = value === undefined ? undefined : parseRecordType(value);
                if (type === undefined || !recordTypes.has(type))
                    return false;
            }
            return true;
        }
    };
}
/** A comma- or newline-separated list: trimmed, empty entries and repeats dropped (first spelling kept). */
function splitList(text) {
    const seen = new Set();
    const items = [];
    for (const item of text.split(/[,\n]/).map((part) => part.trim())) {
        if (item === '' || seen.has(item.toLowerCase()))
            continue;
        seen.add(item.toLowerCase());
        items.push(item);
    }
    return items;
}
/** Record types read from numbers and enum names; `unknown` holds names that are not members, each with suggestions. */
function readRecordTypes(items) {
    const types = [];
    const unknown = [];
    for (const item of items) {
        const type = parseRecordType(item);
        if (type === undefined)
            unknown.push({ name: item, suggestions: suggestRecordTypes(item) });
        else if (!types.includes(type))
            types.push(type);
    }
    return { types, unknown };
}
/** The filter in one line for the log, or undefined when it keeps everything. */
function describeFilter(filter) {
    if (!isFiltering(filter))
        return undefined;
    const parts = [];
    if (filter.operations.length > 0)
        parts.push(`operations ${filter.operations.join(', ')}`);
    if (filter.workloads.length > 0)
        parts.push(`workloads ${filter.workloads.join(', ')}`);
    if (filter.recordTypes.length > 0)
        parts.push(`record types ${filter.recordTypes.map(describeRecordType).join(', ')}`);
    return `Keeping only records with ${parts.join('; and ')}.`;
}
/**
 * Operations users filter on, as the services spell them: Power Platform's
 * (https://learn.microsoft.com/power-platform/admin/activity-logging-auditing/activity-logs-power-apps)
 * and a few of the most asked-for elsewhere. Not a whole list: a name not here may be right.
 */
const KNOWN_OPERATIONS = [
    'LaunchPowerApp',
    'DeletePowerApp',
    'CreatePowerApp',
    'EditPowerApp',
    'PublishPowerApp',
    'RestorePowerApp',
    'EditPowerAppPermission',
    'DeletePowerAppPermission',
    'CreateFlow',
    'EditFlow',
    'DeleteFlow',
    'FileAccessed',
    'FileModified',
    'FileDownloaded',
    'FileUploaded',
    'FileDeleted',
    'UserLoggedIn',
    'UserLoginFailed',
    'MailItemsAccessed',
    'SearchQueryPerformed',
    'MessageSent'
];
/**
 * Warnings for operation names one or two letters away from a known one (`LaunchPowerApps`):
 * a filter matches names exactly, so such a typo keeps nothing and says nothing.
 */
function operationNameWarnings(filter) {
    return filter.operations.flatMap((name) => {
        if (KNOWN_OPERATIONS.some((known) => known.toLowerCase() === name.toLowerCase()))
            return [];
        const close = KNOWN_OPERATIONS.filter((known) => editDistance(known.toLowerCase(), name.toLowerCase()) <= 2);
        return close.length > 0
            ? [
                `Input 'operations' names '${name}', which no record is known to carry; did you mean ${close.map((known) => `'${known}'`).join(' or ')}? ` +
                    `Operations match exactly: records of a misspelt one are left out (fixing it later reads them again while the API serves them).`
            ]
            : [];
    });
}
/** Levenshtein distance, for short names. */
function editDistance(a, b) {
    let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++)
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
    }
    return previous[b.length];
}

;// CONCATENATED MODULE: ./src/action/inputs.ts














/** Thrown when inputs are invalid; carries every problem found, not only the first. */
class InputError extends Error {
    problems;
    constructor(problems) {
        super(problems.map((problem) => problem.message).join('\n'));
        this.problems = problems;
        this.name = 'InputError';
    }
}
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REPOSITORY = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/;
const MAX_CONCURRENCY = 64;
/** How much work a stopped run can lose; memory does not depend on it. */
const DEFAULT_RECORDS_PER_COMMIT = 1_000_000;
const MAX_RECORDS_PER_COMMIT = 5_000_000;
/**
 * Reads and validates every input before anything touches the network, so a typo fails
 * in seconds with a message naming the input, rather than after a sign-in or a download.
 * Every problem is reported, not only the first. Secrets are masked the moment they are
 * read. Returns the settings and the plan preview (the final plan of a scheduled run also
 * depends on what the data branch has covered).
 */
function readSettings(source, now) {
    const read = new InputReader(source);
    const credentialInputs = readCredentialInputs(read);
    const githubToken = read.secret(Inputs.GitHubToken);
    const identity = readIdentity(read);
    const collection = readCollection(read);
    const signIn = readSignIn(read, credentialInputs, identity, collection, now);
    const sources = readSources(read, identity.cloud);
    const filters = readFilters(read, identity);
    const timing = readTiming(read);
    const destination = readDestination(read, githubToken);
    const limits = readLimits(read);
    // A range too old is worth saying even when the window length is wrong.
    const { scope, windowMs, maxWindows } = timing;
    const range = scope && sources ? read.attempt(() => sourceRange(scope, sources.source, now)) : undefined;
    const keptFrom = destination?.retentionDays ? retentionCutoffDay(now, destination.retentionDays) : undefined;
    if (keptFrom && scope?.mode === 'backfill' && utcDay(scope.start) < keptFrom) {
        read.problem(Inputs.Start, `Input 'start' (${formatInstant(scope.start)}) is before the ${destination.retentionDays} days 'retention-days' keeps (from ${keptFrom}): ` +
            `what it collected there would be erased again. Start at ${keptFrom} or later, or keep more days.`);
    }
    const plan = range && windowMs !== undefined && maxWindows !== undefined
        ? read.attempt(() => splitRange(range, windowMs, maxWindows))
        : undefined;
    const { tenantId, clientId, cloud } = identity;
    const incomplete = !tenantId ||
        !clientId ||
        !cloud ||
        !collection ||
        !signIn ||
        !sources ||
        !filters ||
        !scope ||
        !plan ||
        !destination ||
        !limits;
    if (read.problems.length > 0 || incomplete || windowMs === undefined || maxWindows === undefined)
        throw new InputError(read.problems);
    const settings = {
        tenantId,
        clientId,
        ...signIn,
        cloud,
        ...sources,
        ...collection,
        ...filters,
        scope,
        windowMs,
        maxWindows,
        ...destination,
        ...limits
    };
    return { settings, plan };
}
/** Reads inputs and gathers the problems found on the way. */
class InputReader {
    source;
    problems = [];
    masked = new Set();
    constructor(source) {
        this.source = source;
    }
    /** An input, trimmed. */
    text(name) {
        return this.source.getInput(name).trim();
    }
    /** An input as it was given (a multi-line secret keeps its lines). */
    raw(name) {
        return this.source.getInput(name);
    }
    /** A secret input, trimmed, masked before anything else happens. */
    secret(name) {
        const value = this.text(name);
        if (value)
            this.mask(value);
        return value;
    }
    mask(secret) {
        if (this.masked.has(secret))
            return;
        this.masked.add(secret);
        this.source.setSecret(secret);
    }
    /** Records a problem; returns undefined for the value it leaves unread. */
    problem = (input, message) => {
        this.problems.push({ input, message });
        return undefined;
    };
    /** Runs a planning step, turning its PlanError into a problem. */
    attempt(step) {
        try {
            return step();
        }
        catch (error) {
            if (!(error instanceof PlanError))
                throw error;
            return this.problem(error.input, error.message);
        }
    }
}
/** The credential inputs, their secrets (and the OIDC request token) masked at once. */
function readCredentialInputs(read) {
    const inputs = {
        clientSecret: read.raw(Inputs.ClientSecret),
        certificate: read.raw(Inputs.Certificate),
        certificatePassword: read.raw(Inputs.CertificatePassword),
        oidcAudience: read.raw(Inputs.OidcAudience)
    };
    for (const secret of inputSecrets(inputs, read.source.env))
        read.mask(secret);
    return inputs;
}
/** Which tenant, app and cloud (each undefined when invalid: the others still serve later messages). */
function readIdentity(read) {
    const tenantId = readGuid(read.text(Inputs.TenantId), Inputs.TenantId, 'the Directory (tenant) ID', read.problem);
    const clientId = readGuid(read.text(Inputs.ClientId), Inputs.ClientId, 'the Application (client) ID', read.problem);
    const cloudText = read.text(Inputs.Cloud) || 'commercial';
    const cloud = parseCloud(cloudText) ??
        read.problem(Inputs.Cloud, `Input 'cloud' must be one of ${CLOUDS.join(', ')}; got ${quote(cloudText)}.`);
    return { tenantId, clientId, cloud };
}
/** What to collect: content types from the API, exports to import. */
function readCollection(read) {
    const importPatterns = readImportPatterns(read.raw(Inputs.Import));
    // With exports to import, content-types left empty (or `none`) means the run only imports.
    const importing = importPatterns.length > 0;
    const contentTypes = readContentTypes(read.text(Inputs.ContentTypes) || (importing ? 'none' : 'Audit.General'), importing, read.problem);
    return contentTypes ? { contentTypes, importPatterns } : undefined;
}
/** How to sign in, and where. A run that only imports asks Microsoft for nothing: it needs no credential, but one that is given is still checked. */
function readSignIn(read, inputs, identity, collection, now) {
    const importOnly = collection?.contentTypes.length === 0;
    const given = Object.values(inputs).some((value) => value.trim() !== '');
    const context = { clientId: identity.clientId, cloud: identity.cloud, env: read.source.env, now };
    const credential = importOnly && !given ? undefined : readCredential(inputs, context, read.problem);
    if (credential)
        for (const secret of credentialSecrets(credential))
            read.mask(secret);
    const preset = identity.cloud ? cloudEndpoints(identity.cloud) : undefined;
    const authorityHost = readEndpoint(read.text(Inputs.Authority), Inputs.Authority, identity.tenantId, read.problem) ??
        preset?.authorityHost;
    const audience = readEndpoint(read.text(Inputs.Audience), Inputs.Audience, undefined, read.problem) ?? preset?.audience;
    if ((!credential && !importOnly) || !authorityHost || !audience)
        return undefined;
    return { credential, authorityHost, audience };
}
/**
 * Where records come from, and the Graph side's endpoint and bounds. Graph's audit log query
 * API is served in the global cloud only (commercial and GCC): elsewhere a Graph source is
 * refused here, before any token is asked for, unless 'graph-url' names a root to use.
 */
function readSources(read, cloud) {
    const sourceText = (read.text(Inputs.Source) || 'management-api').toLowerCase();
    const source = SOURCE_NAMES.includes(sourceText)
        ? sourceText
        : read.problem(Inputs.Source, `Input 'source' must be one of ${SOURCE_NAMES.join(', ')}; got ${quote(read.text(Inputs.Source))}.`);
    const given = readEndpoint(read.text(Inputs.GraphUrl), Inputs.GraphUrl, undefined, read.problem);
    const inFlight = readInteger(read.text(Inputs.GraphQueries) || '2', Inputs.GraphQueries, 1, 10, read.problem);
    const submissionsPerDay = readInteger(read.text(Inputs.GraphSubmissions) || '100', Inputs.GraphSubmissions, 1, 10_000, read.problem);
    const waitMs = readDuration(read.text(Inputs.GraphWait) || '45m', Inputs.GraphWait, read.problem);
    // A job runs 6 hours at most; the wait leaves an hour for the rest of the run and its commit.
    if (waitMs !== undefined && !(waitMs >= MINUTE_MS && waitMs <= 5 * HOUR_MS))
        read.problem(Inputs.GraphWait, `Input 'graph-wait' must be from 1m to 5h (a job runs 6 hours at most, and the run commits after waiting); got ${quote(read.text(Inputs.GraphWait))}.`);
    if (!source || inFlight === undefined || submissionsPerDay === undefined || waitMs === undefined)
        return undefined;
    let graphUrl;
    if (source === 'management-api' && read.text(Inputs.GraphUrl))
        return read.problem(Inputs.GraphUrl, `Input 'graph-url' is set, but 'source' is management-api, which makes no Graph call: set 'source' to auto or graph to query Graph, or remove 'graph-url'.`);
    if (source !== 'management-api') {
        graphUrl = given ?? (cloud ? cloudEndpoints(cloud).graphUrl : undefined);
        if (!graphUrl && cloud && !read.text(Inputs.GraphUrl))
            return read.problem(Inputs.Source, `Input 'source' is '${source}', but Microsoft Graph's audit log queries are not served in cloud '${cloud}' ` +
                `(the API is global only; Microsoft support confirmed it does not work in GCC High). Use 'source: management-api' ` +
                `for the last 7 days and import Purview audit exports for older history, or set 'graph-url' if your cloud serves the API.`);
    }
    return { source, graphUrl, graphLimits: { inFlight, submissionsPerDay, waitMs } };
}
/**
 * The range the Management API lists for a scope. With a Graph source a backfill may reach
 * past its 7 days: only its recent part is listed (nothing, with 'graph'), the rest is queried.
 */
function sourceRange(scope, source, now) {
    if (scope.mode === 'backfill' && source !== 'management-api') {
        const end = scope.end ?? now;
        if (scope.start >= end)
            throw new PlanError('start', scope.end
                ? `Input 'start' (${formatInstant(scope.start)}) must be before 'end' (${formatInstant(end)}).`
                : `Input 'start' (${formatInstant(scope.start)}) is in the future; it must be before now (${formatInstant(now)}).`);
    }
    const { management } = splitScope(scope, source, now);
    if (management)
        return resolveRange(management, now);
    // A scheduled Graph run asks for its look-back: the same bounds as the Management API's.
    if (scope.mode === 'scheduled')
        resolveRange(scope, now);
    const minute = floorToMinute(now);
    return { mode: scope.mode, from: minute, to: minute, notes: [] };
}
/** Which records to keep, the usage files, and the quota the calls count against. */
function readFilters(read, identity) {
    const filter = readFilter(read.text(Inputs.Operations), read.text(Inputs.Workloads), read.text(Inputs.RecordTypes), read.problem);
    const usage = readBoolean(read.text(Inputs.Usage), Inputs.Usage, true, read.problem);
    const publisherText = read.text(Inputs.PublisherId);
    const publisherId = publisherText
        ? readGuid(publisherText, Inputs.PublisherId, 'a tenant GUID (by default the tenant-id)', read.problem)
        : identity.tenantId;
    return filter && usage !== undefined && publisherId ? { filter, usage, publisherId } : undefined;
}
/** The backfill range or scheduled look-back, and how it is cut into windows (each undefined when invalid). */
function readTiming(read) {
    const length = readDuration(read.text(Inputs.Segment) || '1h', Inputs.Segment, read.problem);
    const windowMs = length === undefined ? undefined : read.attempt(() => checkWindowLength(length));
    const lookbackMs = readDuration(read.text(Inputs.Lookback) || '1d', Inputs.Lookback, read.problem);
    const maxWindows = readInteger(read.text(Inputs.MaxSegments) || '200', Inputs.MaxSegments, 1, 10_000, read.problem);
    const scope = readScope(read.text(Inputs.Start), read.text(Inputs.End), lookbackMs, read.problem);
    return { scope, windowMs, maxWindows };
}
/** Where the snapshots go, in what format, and what the run says when windows fail. */
function readDestination(read, githubToken) {
    const formatText = (read.text(Inputs.Format) || 'csv').toLowerCase();
    const format = FORMAT_NAMES.includes(formatText)
        ? formatText
        : read.problem(Inputs.Format, `Input 'format' must be 'csv' or 'parquet'; got ${quote(read.text(Inputs.Format))}.`);
    const dataBranch = readBranch(read.text(Inputs.DataBranch) || 'audit-data', read.problem);
    const dryRun = readBoolean(read.text(Inputs.DryRun), Inputs.DryRun, false, read.problem);
    const repository = readRepository(read.text(Inputs.Repository) || read.source.currentRepository || '', dryRun, read.problem);
    if (!githubToken && dryRun === false) {
        read.problem(Inputs.GitHubToken, `Input 'github-token' is empty; the action needs a token with 'contents: write' and 'issues: write' ` +
            `(the default \${{ github.token }} works when the workflow grants those permissions).`);
    }
    const githubApiUrl = readApiUrl(read.text(Inputs.GitHubApiUrl), read.problem);
    const openIssue = readBoolean(read.text(Inputs.OpenIssue), Inputs.OpenIssue, true, read.problem);
    const issueLabels = readLabels(read.text(Inputs.IssueLabels) || 'audit-sync', read.problem);
    const failOnError = readBoolean(read.text(Inputs.FailOnError), Inputs.FailOnError, true, read.problem);
    const retentionText = read.text(Inputs.RetentionDays);
    // Fewer than 8 days would erase what the Management API still serves, for a later run to collect again.
    const retentionDays = retentionText
        ? readInteger(retentionText, Inputs.RetentionDays, MIN_RETENTION_DAYS, 36_500, read.problem)
        : undefined;
    if (retentionText && retentionDays === undefined)
        return undefined;
    if (!format ||
        !dataBranch ||
        dryRun === undefined ||
        openIssue === undefined ||
        !issueLabels ||
        failOnError === undefined)
        return undefined;
    return {
        format,
        dataBranch,
        dryRun,
        repository,
        githubToken,
        githubApiUrl,
        openIssue,
        issueLabels,
        failOnError,
        retentionDays
    };
}
/** How hard the run may pull: downloads at once, API calls a minute, records a commit. */
function readLimits(read) {
    const concurrency = readInteger(read.text(Inputs.Concurrency) || '8', Inputs.Concurrency, 1, MAX_CONCURRENCY, read.problem);
    const apiQuota = readInteger(read.text(Inputs.ApiQuota) || String(DOCUMENTED_QUOTA_PER_MINUTE), Inputs.ApiQuota, 10, 100_000, read.problem);
    const recordsPerCommit = readInteger(read.text(Inputs.RecordsPerCommit) || String(DEFAULT_RECORDS_PER_COMMIT), Inputs.RecordsPerCommit, 1, MAX_RECORDS_PER_COMMIT, read.problem);
    return concurrency !== undefined && apiQuota !== undefined && recordsPerCommit !== undefined
        ? { concurrency, apiQuota, recordsPerCommit }
        : undefined;
}
/** The settings in a few lines for the log; secrets are never part of it. */
function describeSettings(settings) {
    const where = settings.repository
        ? `${settings.repository.owner}/${settings.repository.repo}`
        : '(no repository: dry run)';
    const filter = describeFilter(settings.filter);
    return [
        `Tenant ${settings.tenantId}, app ${settings.clientId}, cloud ${settings.cloud}: sign-in at ${settings.authorityHost}, ` +
            describeSources(settings),
        describeCredential(settings.credential),
        settings.contentTypes.length > 0
            ? `Content types ${settings.contentTypes.join(', ')}; PublisherIdentifier ${settings.publisherId}.`
            : 'No content type is collected from the Management API: this run only imports.',
        ...(settings.importPatterns.length > 0
            ? [
                `Importing Purview audit exports matching ${settings.importPatterns.map((pattern) => `'${pattern}'`).join(', ')}.`
            ]
            : []),
        ...(filter ? [filter] : []),
        ...(settings.usage ? [] : ['Power Apps usage files are not written (usage: false).']),
        `Snapshots (${settings.format}) go to branch '${settings.dataBranch}' of ${where}; ${settings.concurrency} downloads at a time, ` +
            `at most ${settings.apiQuota} API calls a minute.`
    ].join('\n');
}
function describeSources(settings) {
    const graph = `Microsoft Graph audit log queries at ${settings.graphUrl ?? ''} (${settings.graphLimits.inFlight} at once, ${settings.graphLimits.submissionsPerDay} a day)`;
    if (settings.source === 'graph')
        return `${graph} only (source: graph).`;
    if (settings.source === 'auto')
        return `Management API at ${settings.audience}, and ${graph} for anything older than it serves (source: auto).`;
    return `API at ${settings.audience}.`;
}
function readGuid(value, name, what, problem) {
    if (!value)
        return problem(name, `Input '${name}' is required: ${what}, a GUID from the app registration's Overview page in Entra ID.`);
    if (!GUID.test(value)) {
        return problem(name, `Input '${name}' must be ${what}, a GUID like 00000000-0000-0000-0000-000000000000; got ${quote(value)}.`);
    }
    return value.toLowerCase();
}
function readEndpoint(value, name, tenantId, problem) {
    if (!value)
        return undefined;
    let url;
    try {
        url = new URL(value);
    }
    catch {
        return problem(name, `Input '${name}' must be an https URL such as https://login.microsoftonline.com; got ${quote(value)}.`);
    }
    if (url.protocol !== 'https:') {
        return problem(name, `Input '${name}' must use https (Entra ID and the Management API accept nothing else); got ${quote(value)}.`);
    }
    // The CoE's "Audit Logs - Authority" is a bare host, but people paste the tenant URL too.
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '' && !(tenantId && path.toLowerCase() === `/${tenantId}`)) {
        return problem(name, `Input '${name}' must be a scheme and host only, such as https://${url.host}; got ${quote(value)}.`);
    }
    if (url.search || url.hash)
        return problem(name, `Input '${name}' must not carry a query or fragment; got ${quote(value)}.`);
    return url.origin;
}
function readContentTypes(value, importing, problem) {
    const names = value
        .split(/[,\n]/)
        .map((name) => name.trim())
        .filter((name) => name !== '');
    if (names.some((name) => name.toLowerCase() === 'none')) {
        if (names.length > 1)
            return problem(Inputs.ContentTypes, `Input 'content-types' names 'none' beside content types; give either 'none' or the content types to collect.`);
        if (!importing) {
            return problem(Inputs.ContentTypes, `Input 'content-types' is 'none', which collects nothing; set 'import' to the Purview exports to import, or name the content types to collect (for example Audit.General).`);
        }
        return [];
    }
    const types = [];
    const unknown = [];
    for (const name of names) {
        const type = parseContentType(name);
        if (!type)
            unknown.push(name);
        else if (!types.includes(type))
            types.push(type);
    }
    if (unknown.length > 0) {
        return problem(Inputs.ContentTypes, `Input 'content-types' has unknown content type${unknown.length > 1 ? 's' : ''} ${unknown.map(quote).join(', ')}; ` +
            `the API knows ${CONTENT_TYPES.join(', ')} (Power Platform events are in Audit.General).`);
    }
    if (types.length === 0)
        return problem(Inputs.ContentTypes, `Input 'content-types' names no content type; use for example Audit.General.`);
    return types;
}
/** Glob patterns, one a line (a comma belongs to glob syntax: `{a,b}.csv`). */
function readImportPatterns(value) {
    return [
        ...new Set(value
            .split(/\r?\n/)
            .map((line) => line.trim())
            .filter((line) => line !== ''))
    ];
}
function readFilter(operations, workloads, recordTypes, problem) {
    const { types, unknown } = readRecordTypes(splitList(recordTypes));
    if (unknown.length > 0) {
        const details = unknown.map(({ name, suggestions }) => `${quote(name)} (did you mean ${suggestions.join(', ')}?)`);
        return problem(Inputs.RecordTypes, `Input 'record-types' has unknown record type name${unknown.length > 1 ? 's' : ''} ${details.join('; ')}. ` +
            `Give numbers or the API's RecordType names, for example PowerAppsApp (45) or PowerPlatformAdministratorActivity (256).`);
    }
    return { operations: splitList(operations), workloads: splitList(workloads), recordTypes: types };
}
function readDuration(value, name, problem) {
    const ms = parseDuration(value);
    if (ms === undefined) {
        return problem(name, `Input '${name}' must be a duration such as 15m, 1h, 1d or '1 hour'; got ${quote(value)}.`);
    }
    return ms;
}
function readInteger(value, name, min, max, problem) {
    const number = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
        return problem(name, `Input '${name}' must be a whole number from ${min} to ${max}; got ${quote(value)}.`);
    }
    return number;
}
function readBoolean(value, name, fallback, problem) {
    if (value === '')
        return fallback;
    // The same spellings @actions/core's getBooleanInput accepts (YAML 1.2 core schema).
    if (['true', 'True', 'TRUE'].includes(value))
        return true;
    if (['false', 'False', 'FALSE'].includes(value))
        return false;
    return problem(name, `Input '${name}' must be true or false; got ${quote(value)}.`);
}
function readScope(startText, endText, lookbackMs, problem) {
    const start = startText ? parseInstant(startText) : undefined;
    const end = endText ? parseInstant(endText) : undefined;
    const format = 'an ISO 8601 UTC date or time such as 2026-11-20 or 2026-11-20T06:00Z';
    if (startText && !start)
        problem(Inputs.Start, `Input 'start' must be ${format}; got ${quote(startText)}.`);
    if (endText && !end)
        problem(Inputs.End, `Input 'end' must be ${format}; got ${quote(endText)}.`);
    if (endText && !startText) {
        return problem(Inputs.End, `Input 'end' (${quote(endText)}) needs 'start': a backfill covers start to end; a scheduled run uses 'lookback'.`);
    }
    if (startText)
        return start && (end || !endText) ? { mode: 'backfill', start, ...(end ? { end } : {}) } : undefined;
    return lookbackMs === undefined ? undefined : { mode: 'scheduled', lookbackMs };
}
function readLabels(value, problem) {
    const labels = [
        ...new Set(value
            .split(/[,\n]/)
            .map((label) => label.trim())
            .filter((label) => label !== ''))
    ];
    const tooLong = labels.find((label) => label.length > 50);
    if (tooLong)
        return problem(Inputs.IssueLabels, `Input 'issue-labels' has a label over 50 characters, GitHub's limit; got ${quote(tooLong)}.`);
    if (labels.length === 0)
        return problem(Inputs.IssueLabels, `Input 'issue-labels' names no label; use for example audit-sync.`);
    return labels;
}
function readBranch(value, problem) {
    const name = value.replace(/^refs\/heads\//, '');
    const reason = explainInvalidBranchName(name);
    return reason
        ? problem(Inputs.DataBranch, `Input 'data-branch' is not a valid git branch name: ${reason}; got ${quote(value)}.`)
        : name;
}
/** https, or http to this machine only (a local fake): a token never crosses a network in clear. */
function readApiUrl(value, problem) {
    if (!value)
        return undefined;
    // What comes before an '@' in the host part may be a credential: never echoed, always refused.
    const userInfo = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i;
    if (userInfo.test(value)) {
        return problem(Inputs.GitHubApiUrl, `Input 'github-api-url' must not hold a user name or password (user:password@host): give the token as 'github-token', and the URL as https://host/api/v3.`);
    }
    const url = URL.canParse(value) ? new URL(value) : undefined;
    const loopback = url?.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (!url || !(url.protocol === 'https:' || loopback) || url.search || url.hash) {
        return problem(Inputs.GitHubApiUrl, `Input 'github-api-url' must be the https URL of a GitHub REST API, such as https://ghes.example.com/api/v3 (http only to this machine); got ${quote(value)}.`);
    }
    return url.href.replace(/\/+$/, '');
}
function readRepository(value, dryRun, problem) {
    if (!value) {
        return dryRun
            ? undefined
            : problem(Inputs.Repository, `Input 'repository' is empty and GITHUB_REPOSITORY is not set; give it as owner/name.`);
    }
    const match = REPOSITORY.exec(value);
    if (!match?.[1] || !match[2])
        return problem(Inputs.Repository, `Input 'repository' must be owner/name; got ${quote(value)}.`);
    return { owner: match[1], repo: match[2] };
}
/** Quotes a user's value for a message, short and on one line. */
function quote(value) {
    const oneLine = JSON.stringify(value).slice(1, -1);
    return `'${oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine}'`;
}

;// CONCATENATED MODULE: ./src/action/run-context.ts
/**
 * The run's context from `@actions/github` (which reads the runner's GITHUB_* variables and
 * event payload once, when it is first imported). The workflow file and the workspace are the
 * facts it does not carry, so they are read from GITHUB_WORKFLOW_REF
 * (`owner/repo/.github/workflows/file.yml@ref`) and GITHUB_WORKSPACE here, and nowhere else.
 */
function readRunContext(context, env) {
    const serverUrl = trimSlash(context.serverUrl);
    const repository = currentRepository(context);
    return {
        repository,
        serverUrl,
        apiUrl: trimSlash(context.apiUrl),
        runUrl: repository && Number.isInteger(context.runId) && context.runId > 0
            ? `${serverUrl}/${repository}/actions/runs/${context.runId}`
            : undefined,
        workflowFile: env.GITHUB_WORKFLOW_REF?.split('@')[0]?.split('/').at(-1) || undefined,
        isGhes: isGhesUrl(serverUrl),
        workspace: env.GITHUB_WORKSPACE || process.cwd()
    };
}
/**
 * The GitHub the data branch is on: the one running the workflow, or the instance named by
 * 'github-api-url' (links to it only when its web root follows from the API's address).
 */
function gitHubEndpoints(githubApiUrl, context) {
    if (githubApiUrl && githubApiUrl !== context.apiUrl) {
        return {
            apiUrl: githubApiUrl,
            serverUrl: serverUrlOfApi(githubApiUrl),
            description: `GitHub API: ${githubApiUrl} (input 'github-api-url').`
        };
    }
    const kind = context.isGhes ? 'GitHub Enterprise Server' : 'GitHub';
    return {
        apiUrl: context.apiUrl,
        serverUrl: context.serverUrl,
        description: `${kind} at ${context.serverUrl}, API ${context.apiUrl}.`
    };
}
/**
 * Whether a GitHub web root is a GitHub Enterprise Server: anything but github.com and the
 * data-residency subdomains of ghe.com (which are GitHub Enterprise Cloud). An unparsable
 * URL counts as github.com, where the action is tested most.
 */
function isGhesUrl(serverUrl) {
    let host;
    try {
        host = new URL(serverUrl).hostname.toLowerCase();
    }
    catch {
        return false;
    }
    return host !== 'github.com' && !host.endsWith('.ghe.com');
}
/**
 * The web root that goes with a REST API root, for links to what the action wrote:
 * api.github.com → github.com, api.NAME.ghe.com → NAME.ghe.com, HOST/api/v3 → HOST.
 * Undefined for any other shape: better no link than a wrong one.
 */
function serverUrlOfApi(apiUrl) {
    let url;
    try {
        url = new URL(trimSlash(apiUrl));
    }
    catch {
        return undefined;
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '' &&
        url.hostname.startsWith('api.') &&
        (url.hostname === 'api.github.com' || url.hostname.endsWith('.ghe.com'))) {
        return `${url.protocol}//${url.host.slice('api.'.length)}`;
    }
    if (path.endsWith('/api/v3'))
        return `${url.protocol}//${url.host}${path.slice(0, -'/api/v3'.length)}`;
    return undefined;
}
function currentRepository(context) {
    try {
        const { owner, repo } = context.repo;
        return owner && repo ? `${owner}/${repo}` : undefined;
    }
    catch {
        return undefined;
    }
}
function trimSlash(url) {
    return url.replace(/\/+$/, '');
}

;// CONCATENATED MODULE: ./src/util/compare.ts
/** Orders strings by their UTF-16 code units, as `<` does: the same order on every machine and locale. */
function compareText(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

;// CONCATENATED MODULE: ./src/branch/failed-windows.ts

/** Whether an entry read from the ledger file is a failed window (a hand may have edited it). */
function isFailedWindow(entry) {
    const isInstant = (value) => typeof value === 'string' && parseInstant(value) !== undefined;
    return (isInstant(entry.start) &&
        isInstant(entry.end) &&
        typeof entry.code === 'string' &&
        typeof entry.message === 'string' &&
        Number.isSafeInteger(entry.attempts) &&
        // Only shown, never computed with.
        typeof entry.firstFailure === 'string' &&
        typeof entry.lastFailure === 'string');
}
/**
 * Records a window that failed in a list of the ledger's failed windows, or counts one more
 * failed run of it: a Management API listing window or a Graph query window alike.
 */
function recordFailedWindow(failed, failure, stamp) {
    const start = formatInstant(failure.start);
    const end = formatInstant(failure.end);
    const known = failed.find((existing) => existing.start === start && existing.end === end);
    if (known)
        Object.assign(known, {
            code: failure.code,
            message: failure.message,
            attempts: known.attempts + 1,
            lastFailure: stamp
        });
    else
        failed.push({
            start,
            end,
            code: failure.code,
            message: failure.message,
            attempts: 1,
            firstFailure: stamp,
            lastFailure: stamp
        });
}

;// CONCATENATED MODULE: ./src/branch/graph-ledger.ts




function emptyGraphLedger() {
    return { collected: [], unsettled: [], pending: [], queued: [], failed: [], submissions: [] };
}
/** The Graph section of a ledger file, keeping only entries that parse (a hand edit loses no more than itself). */
function readGraphLedger(value) {
    if (!value || typeof value !== 'object')
        return undefined;
    const entry = value;
    const list = (key) => Array.isArray(entry[key])
        ? entry[key].filter((item) => !!item && typeof item === 'object' && isRange(item))
        : [];
    const selected = (key) => mergeSelected(list(key)
        .filter((item) => typeof item.selection === 'string')
        .map((item) => ({ start: String(item.start), end: String(item.end), selection: String(item.selection) })));
    return {
        collected: selected('collected'),
        unsettled: selected('unsettled'),
        pending: list('pending')
            .filter((item) => typeof item.id === 'string' && typeof item.submitted === 'string' && parseInstant(item.submitted))
            .map((item) => ({
            id: String(item.id),
            start: String(item.start),
            end: String(item.end),
            submitted: String(item.submitted),
            resubmitted: typeof item.resubmitted === 'number' ? item.resubmitted : 0,
            ...retryStateOf(item),
            ...(item.foundByName === true ? { foundByName: true } : {}),
            ...(typeof item.selection === 'string' ? { selection: item.selection } : {})
        })),
        queued: list('queued').map((item) => ({ start: String(item.start), end: String(item.end), ...retryStateOf(item) })),
        failed: list('failed')
            .filter(isFailedWindow)
            .map((item) => ({ ...item })),
        submissions: (Array.isArray(entry.submissions) ? entry.submissions : []).flatMap((item) => {
            const { at, count } = (item ?? {});
            return typeof at === 'string' && parseInstant(at) && typeof count === 'number' && count > 0 ? [{ at, count }] : [];
        })
    };
}
function retryStateOf(item) {
    return {
        ...(typeof item.resubmitted === 'number' && item.resubmitted > 0 ? { resubmitted: item.resubmitted } : {}),
        ...(item.final === true ? { final: true } : {})
    };
}
function isRange(item) {
    const start = typeof item.start === 'string' ? parseInstant(item.start) : undefined;
    const end = typeof item.end === 'string' ? parseInstant(item.end) : undefined;
    return !!start && !!end && start < end;
}
/** The Graph section as stable JSON: sorted, so unchanged state gives unchanged bytes. */
function renderGraphLedger(graph) {
    const byTime = (a, b) => compareText(a.start, b.start) || compareText(a.end, b.end);
    return {
        collected: mergeSelected(graph.collected),
        unsettled: mergeSelected(graph.unsettled),
        pending: [...graph.pending].sort(byTime),
        queued: [...graph.queued].sort(byTime),
        failed: [...graph.failed].sort(byTime),
        submissions: [...graph.submissions].sort((a, b) => compareText(a.at, b.at))
    };
}
/** Whether the section holds anything; an empty one is left out of the file. */
function isGraphLedgerEmpty(graph) {
    return (graph.collected.length +
        graph.unsettled.length +
        graph.pending.length +
        graph.queued.length +
        graph.failed.length +
        graph.submissions.length ===
        0);
}
/** Windows that later runs still have to query: running, waiting, failed or not settled. */
function graphWorkLeft(graph) {
    return graph.pending.length + graph.queued.length + graph.failed.length + graph.unsettled.length;
}
/**
 * Applies a run's Graph work (to a copy): settled windows are remembered as collected for the
 * run's selection, unsettled ones as such (until a later query of them settles), the pending
 * queries and queued windows are the run's, a failed window is recorded (or its count
 * raised), and one that what is harvested now covers is recovered. Returns what recovered.
 */
function applyGraphUpdate(graph, update, now) {
    const stamp = formatInstant(now);
    const { selection } = update;
    const harvestedNow = update.collected.map((window) => ({ ...toStored(window), selection }));
    const settledNow = harvestedNow.filter((_, index) => update.collected[index]?.settled);
    const collected = mergeSelected([...graph.collected, ...settledNow]);
    const collectedHere = collected.filter((range) => range.selection === selection).map(toRange);
    // What a settled query returned needs no second look: only the rest stays unsettled.
    const unsettled = mergeSelected([...graph.unsettled, ...harvestedNow.filter((_, index) => !update.collected[index]?.settled)].flatMap((range) => range.selection === selection
        ? uncoveredParts(toRange(range), collectedHere).map((part) => ({ ...toStored(part), selection }))
        : [range]));
    // A failed day may come back in halves (the record-count limit): judged against what is
    // harvested now, merged, not window by window.
    const harvested = mergeRanges([
        ...collected.filter((range) => range.selection === selection),
        ...unsettled.filter((range) => range.selection === selection)
    ]).map(toRange);
    const recovered = [];
    const failed = graph.failed
        .map((failure) => ({ ...failure }))
        .filter((failure) => {
        const covered = uncoveredParts(toRange(failure), harvested).length === 0;
        if (covered)
            recovered.push(failure);
        return !covered;
    });
    for (const failure of update.failed)
        recordFailedWindow(failed, { ...failure.window, code: failure.code, message: failure.reason }, stamp);
    return {
        graph: {
            collected,
            unsettled,
            pending: update.pending.map((query) => ({ ...query })),
            queued: update.queued.map((window) => ({
                ...toStored(window),
                ...(window.resubmitted ? { resubmitted: window.resubmitted } : {}),
                ...(window.final ? { final: true } : {})
            })),
            failed,
            submissions: [
                ...graph.submissions.filter((entry) => Date.parse(entry.at) > now.getTime() - DAY_MS),
                ...(update.submitted > 0 ? [{ at: stamp, count: update.submitted }] : [])
            ]
        },
        recovered
    };
}
/** Queries that may still be submitted within `perDay` in the 24 hours before `now`. */
function submissionsLeft(graph, perDay, now) {
    const used = (graph?.submissions ?? [])
        .filter((entry) => Date.parse(entry.at) > now.getTime() - DAY_MS)
        .reduce((sum, entry) => sum + entry.count, 0);
    return Math.max(0, perDay - used);
}
/** A stored range as times. */
function toRange(entry) {
    return { start: new Date(entry.start), end: new Date(entry.end) };
}
/** Ranges merged within each selection, sorted by selection then time. */
function mergeSelected(ranges) {
    const groups = new Map();
    for (const range of ranges)
        groups.set(range.selection, [...(groups.get(range.selection) ?? []), range]);
    return [...groups.keys()]
        .sort(compareText)
        .flatMap((selection) => mergeRanges(groups.get(selection) ?? []).map((range) => ({ ...range, selection })));
}
function toStored(range) {
    return { start: formatInstant(range.start), end: formatInstant(range.end) };
}
/** Ranges sorted and merged where they touch or overlap. */
function mergeRanges(ranges) {
    const sorted = ranges
        .map((range) => ({ start: Date.parse(range.start), end: Date.parse(range.end) }))
        .filter((range) => range.start < range.end)
        .sort((a, b) => a.start - b.start || a.end - b.end);
    const merged = [];
    for (const range of sorted) {
        const last = merged.at(-1);
        if (last && range.start <= last.end)
            last.end = Math.max(last.end, range.end);
        else
            merged.push({ ...range });
    }
    return merged.map((range) => ({
        start: formatInstant(new Date(range.start)),
        end: formatInstant(new Date(range.end))
    }));
}
/** The parts of `range` that none of `taken` covers, in time order. */
function uncoveredParts(range, taken) {
    let parts = [range];
    for (const cut of taken) {
        parts = parts.flatMap((part) => {
            if (cut.end <= part.start || cut.start >= part.end)
                return [part];
            const left = cut.start > part.start ? [{ start: part.start, end: cut.start }] : [];
            const right = cut.end < part.end ? [{ start: cut.end, end: part.end }] : [];
            return [...left, ...right];
        });
    }
    return parts;
}

;// CONCATENATED MODULE: ./src/branch/ledger.ts








/** A ledger with nothing in it: the state of a new data branch. */
function emptyLedger() {
    return { version: 2, contentTypes: {} };
}
/** Characters of one blob in `fetched`: 9 bytes of SHA-256 in base64. */
const BLOB_KEY_LENGTH = 12;
/**
 * How the ledger names a blob. 72 bits: the chance that a new blob's key equals one of the
 * 50,000 a busy content type holds is about 1 in 10^17, against a download skipped.
 */
function blobKey(contentId) {
    return sha256Prefix(contentId, 9);
}
/**
 * Reads ledger.json, refusing one that is not ours rather than overwriting it. A version 1
 * ledger (each contentId in full, with its expiry) is read into the compact form.
 */
function parseLedger(text, path, warn) {
    let value;
    try {
        value = JSON.parse(text);
    }
    catch (error) {
        throw new Error(`${path} on the data branch is not valid JSON (${error.message}); fix or delete it, then run again.`, { cause: error });
    }
    const candidate = value;
    if (!candidate ||
        (candidate.version !== 1 && candidate.version !== 2) ||
        typeof candidate.contentTypes !== 'object' ||
        candidate.contentTypes === null) {
        throw new Error(`${path} on the data branch is not a version 1 or 2 ledger; fix or delete it, then run again.`);
    }
    const ledger = emptyLedger();
    // A hand may have edited any entry: what does not read is dropped, with a warning, rather
    // than failing every run that reads the ledger. Nothing collected depends on it: a dropped
    // failed window is listed again by the look-back or a backfill, a dropped gap is reported
    // again when it is met.
    const dropped = (what, entry) => warn?.(`${path}: dropped ${what} that does not read (${JSON.stringify(entry)?.slice(0, 120)}).`);
    for (const type of CONTENT_TYPES) {
        const entry = candidate.contentTypes[type];
        if (!entry || typeof entry !== 'object')
            continue;
        if (entry.coveredUntil !== undefined &&
            !(typeof entry.coveredUntil === 'string' && parseInstant(entry.coveredUntil)))
            dropped(`${type}.coveredUntil`, entry.coveredUntil);
        const failed = validEntries(entry.failed, isFailedWindow, `a failed window of ${type}`, dropped);
        const gaps = validEntries(entry.gaps, isGap, `a gap of ${type}`, dropped);
        const held = readHeldDays(entry.held);
        if (Array.isArray(entry.held) && held.length !== entry.held.length)
            dropped(`${entry.held.length - held.length} held day(s) of ${type}`, entry.held);
        ledger.contentTypes[type] = {
            ...(typeof entry.coveredUntil === 'string' && parseInstant(entry.coveredUntil)
                ? { coveredUntil: entry.coveredUntil }
                : {}),
            fetched: candidate.version === 1
                ? fromVersion1(isRecord(entry.fetched) ? entry.fetched : {})
                : readFetched(isRecord(entry.fetched) ? entry.fetched : {}),
            ...(typeof entry.filter === 'string' && entry.filter !== '' ? { filter: entry.filter } : {}),
            failed,
            gaps,
            ...(isRecord(entry.untimed) ? readUntimed(entry.untimed, type, dropped) : {}),
            ...(held.length > 0 ? { held } : {})
        };
    }
    const graph = readGraphLedger(candidate.graph);
    if (graph && !isGraphLedgerEmpty(graph))
        ledger.graph = graph;
    return ledger;
}
function isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function validEntries(value, valid, what, dropped) {
    if (!Array.isArray(value))
        return [];
    return value.flatMap((entry) => {
        if (isRecord(entry) && valid(entry))
            return [{ ...entry }];
        dropped(what, entry);
        return [];
    });
}
const isInstant = (value) => typeof value === 'string' && parseInstant(value) !== undefined;
function isGap(entry) {
    return (isInstant(entry.start) &&
        isInstant(entry.end) &&
        (entry.reason === 'expired-blob' || entry.reason === 'out-of-reach') &&
        typeof entry.code === 'string' &&
        typeof entry.message === 'string' &&
        isInstant(entry.recordedAt));
}
function readUntimed(value, type, dropped) {
    const untimed = {};
    for (const [id, time] of Object.entries(value)) {
        if (typeof time === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(time))
            untimed[id] = time;
        else
            dropped(`the placement of untimed record ${id} of ${type}`, time);
    }
    return Object.keys(untimed).length > 0 ? { untimed } : {};
}
function readFetched(value) {
    const fetched = {};
    for (const [day, keys] of Object.entries(value)) {
        if (/^\d{4}-\d{2}-\d{2}$/.test(day) && typeof keys === 'string' && keys.length % BLOB_KEY_LENGTH === 0)
            fetched[day] = keys;
    }
    return fetched;
}
/** Version 1 kept contentId → contentExpiration; the blob's day is taken as 7 days before it expired. */
function fromVersion1(value) {
    const fetched = {};
    for (const [contentId, expiration] of Object.entries(value)) {
        const expires = typeof expiration === 'string' ? parseInstant(expiration) : undefined;
        const day = utcDay(expires ? new Date(expires.getTime() - RETENTION_MS) : new Date());
        fetched[day] = (fetched[day] ?? '') + blobKey(contentId);
    }
    return fetched;
}
/** The ledger as stable text: sorted keys, so unchanged state gives unchanged bytes. */
function renderLedger(ledger) {
    const contentTypes = {};
    for (const type of [...CONTENT_TYPES].sort()) {
        const entry = ledger.contentTypes[type];
        if (!entry)
            continue;
        const fetched = {};
        for (const day of Object.keys(entry.fetched).sort())
            fetched[day] = entry.fetched[day] ?? '';
        contentTypes[type] = {
            ...(entry.coveredUntil ? { coveredUntil: entry.coveredUntil } : {}),
            fetched,
            ...(entry.filter ? { filter: entry.filter } : {}),
            failed: [...entry.failed].sort((a, b) => compareText(a.start, b.start) || compareText(a.end, b.end)),
            gaps: [...entry.gaps].sort((a, b) => compareText(a.start, b.start) || compareText(a.contentId ?? '', b.contentId ?? '')),
            ...(entry.untimed && Object.keys(entry.untimed).length > 0
                ? { untimed: Object.fromEntries(Object.entries(entry.untimed).sort(([a], [b]) => compareText(a, b))) }
                : {}),
            ...(entry.held && entry.held.length > 0 ? { held: [...entry.held].sort((a, b) => compareText(a.day, b.day)) } : {})
        };
    }
    const graph = ledger.graph && !isGraphLedgerEmpty(ledger.graph) ? { graph: renderGraphLedger(ledger.graph) } : {};
    return `${JSON.stringify({ version: 2, contentTypes, ...graph }, null, 2)}\n`;
}
/** The earliest coverage over the given content types, or undefined if any is uncovered. */
function coveredUntil(ledger, types) {
    let earliest;
    for (const type of types) {
        const covered = ledger.contentTypes[type]?.coveredUntil;
        const date = covered ? parseInstant(covered) : undefined;
        if (!date)
            return undefined;
        if (!earliest || date < earliest)
            earliest = date;
    }
    return earliest;
}
/** Where an earlier run placed a record that has no readable CreationTime, if it did. */
function untimedPlacement(ledger, type, id) {
    return ledger.contentTypes[type]?.untimed?.[id];
}
/** Whether a blob was already downloaded and committed, read with these filters (`filterDigest`). */
function wasFetched(ledger, type, contentId, filter = '') {
    const entry = ledger.contentTypes[type];
    return entry !== undefined && (entry.filter ?? '') === filter && fetchedKeys(entry).has(blobKey(contentId));
}
/** Whether a content type's blobs were read with other filters than these (`filterDigest`). */
function filterChanged(ledger, type, filter) {
    const entry = ledger.contentTypes[type];
    return entry !== undefined && (entry.filter ?? '') !== filter;
}
const keyCache = new WeakMap();
/** Every blob key of a content type, read once per ledger. */
function fetchedKeys(entry) {
    let keys = keyCache.get(entry.fetched);
    if (!keys) {
        keys = new Set();
        for (const day of Object.values(entry.fetched))
            for (let at = 0; at < day.length; at += BLOB_KEY_LENGTH)
                keys.add(day.slice(at, at + BLOB_KEY_LENGTH));
        keyCache.set(entry.fetched, keys);
    }
    return keys;
}
/** How failures and reports name the windows of Graph audit log queries. */
const GRAPH_QUERIES = 'Graph audit log query';
/**
 * Applies a run's results to a ledger (a copy; the input is not changed):
 * - fetched blobs are remembered until the API can no longer list them (8 days after the
 *   day they were created);
 * - coverage only grows when the new range touches it, so a backfill further ahead never
 *   hides a hole behind it;
 * - a failed window is recorded (or its count raised); one that a successful window covers
 *   is recovered; one that aged past the API's 7 days becomes a permanent gap.
 */
function applyUpdates(ledger, updates, now, oldestReachable = new Date(now.getTime() - RETENTION_MS), graphUpdate) {
    const next = parseLedger(renderLedger(ledger), 'ledger');
    const changes = { recovered: [], newGaps: [] };
    const stamp = formatInstant(now);
    for (const update of updates) {
        const entry = next.contentTypes[update.type] ?? { fetched: {}, failed: [], gaps: [] };
        next.contentTypes[update.type] = entry;
        // Blobs read under other filters are not collected under these: only this run's count.
        if (update.filter !== undefined && (entry.filter ?? '') !== update.filter) {
            entry.fetched = {};
            if (update.filter)
                entry.filter = update.filter;
            else
                delete entry.filter;
        }
        rememberFetched(entry, update);
        if (update.untimed && Object.keys(update.untimed).length > 0)
            entry.untimed = { ...entry.untimed, ...update.untimed };
        if (update.listed)
            extendCoverage(entry, update.listed);
        changes.recovered.push(...recoverFailures(entry, update.succeeded ?? []).map((failure) => ({ ...failure, type: update.type })));
        for (const failure of update.failures ?? [])
            recordFailedWindow(entry.failed, failure, stamp);
        changes.newGaps.push(...recordExpired(entry, update.expired ?? [], stamp).map((gap) => ({ ...gap, type: update.type })));
    }
    for (const [type, entry] of Object.entries(next.contentTypes)) {
        changes.newGaps.push(...failuresOutOfReach(entry, oldestReachable, stamp).map((gap) => ({ ...gap, type })));
        forgetUnlisted(entry, utcDay(new Date(now.getTime() - LISTABLE_MS)));
    }
    if (graphUpdate) {
        const applied = applyGraphUpdate(next.graph ?? emptyGraphLedger(), graphUpdate, now);
        next.graph = applied.graph;
        changes.recovered.push(...applied.recovered.map((failure) => ({ ...failure, type: GRAPH_QUERIES })));
    }
    return { ledger: next, changes };
}
/** Files a run's new blobs under the UTC day they were created. */
function rememberFetched(entry, update) {
    const known = fetchedKeys(entry);
    const added = new Map();
    for (const blob of update.fetched) {
        const key = blobKey(blob.contentId);
        if (known.has(key))
            continue;
        known.add(key);
        const day = blob.contentCreated.slice(0, 10);
        const keys = added.get(day);
        if (keys)
            keys.push(key);
        else
            added.set(day, [key]);
    }
    // Each run's keys go in sorted, after what earlier runs wrote: the same blobs give the
    // same text whatever order they downloaded in, and the line only grows at its end.
    for (const [day, keys] of added)
        entry.fetched[day] = (entry.fetched[day] ?? '') + keys.sort().join('');
}
/** Moves coverage to the end of a listed range that touches it (or starts it). */
function extendCoverage(entry, listed) {
    const covered = entry.coveredUntil ? parseInstant(entry.coveredUntil) : undefined;
    if (!covered || (listed.from <= covered && listed.to > covered))
        entry.coveredUntil = formatInstant(listed.to);
}
/** Drops the failed windows a successful window now covers; returns them. */
function recoverFailures(entry, succeeded) {
    const recovered = [];
    entry.failed = entry.failed.filter((failure) => {
        const start = parseInstant(failure.start);
        const end = parseInstant(failure.end);
        const covered = start && end && succeeded.some((window) => window.start <= start && window.end >= end);
        if (covered)
            recovered.push(failure);
        return !covered;
    });
    return recovered;
}
/** Records blobs that expired before they could be downloaded as gaps (each once); returns the new ones. */
function recordExpired(entry, expired, stamp) {
    const gaps = [];
    for (const blob of expired) {
        if (entry.gaps.some((gap) => gap.contentId === blob.contentId))
            continue;
        const created = blob.contentCreated.replace(/\.\d+Z$/, 'Z');
        const gap = {
            start: created,
            end: created,
            reason: 'expired-blob',
            code: 'AF20051',
            message: blob.message,
            contentId: blob.contentId,
            recordedAt: stamp
        };
        entry.gaps.push(gap);
        gaps.push(gap);
    }
    return gaps;
}
/** Turns failed windows that aged past the API's reach into gaps; returns the new gaps. */
function failuresOutOfReach(entry, oldestReachable, stamp) {
    const gaps = [];
    entry.failed = entry.failed.filter((failure) => {
        const start = parseInstant(failure.start);
        if (!start || start >= oldestReachable)
            return true;
        gaps.push({
            start: failure.start,
            end: failure.end,
            reason: 'out-of-reach',
            code: failure.code,
            message: `Still failing (${failure.message}) when the window passed the API's 7 days; fill it from a Purview audit export.`,
            recordedAt: stamp
        });
        return false;
    });
    entry.gaps.push(...gaps);
    return gaps;
}
/** Forgets blobs and untimed placements of days the API can no longer list (before `oldestListable`). */
function forgetUnlisted(entry, oldestListable) {
    for (const [id, time] of Object.entries(entry.untimed ?? {}))
        if (time.slice(0, 10) < oldestListable)
            delete entry.untimed?.[id];
    for (const day of Object.keys(entry.fetched)) {
        if (day >= oldestListable)
            continue;
        delete entry.fetched[day];
        keyCache.delete(entry.fetched);
    }
}
/** Failed windows still within reach, per content type, oldest first. */
function failedWindows(ledger, types) {
    return types.flatMap((type) => (ledger.contentTypes[type]?.failed ?? []).map((failure) => ({ type, failure })));
}
/** Every open failure in the ledger, whatever run recorded it. */
function allFailures(ledger) {
    return [
        ...Object.entries(ledger.contentTypes).flatMap(([type, entry]) => entry.failed.map((failure) => ({ ...failure, type }))),
        ...Object.entries(ledger.contentTypes).flatMap(([type, entry]) => (entry.held ?? []).map((held) => heldFailure(type, held))),
        ...(ledger.graph?.failed ?? []).map((failure) => ({ ...failure, type: GRAPH_QUERIES }))
    ];
}
/** A held day as an open failure: the day as its window. */
function heldFailure(type, held) {
    return {
        ...heldDayWindow(held),
        attempts: held.attempts,
        firstFailure: held.firstFailure,
        lastFailure: held.lastFailure,
        type
    };
}
/**
 * Records what a commit did with held days (a copy of the ledger): days it could not merge
 * are held (or their count raised), held days it merged are gone and returned as recovered.
 */
function applyHeldDays(ledger, changes, now) {
    if (changes.held.length === 0 && changes.merged.length === 0)
        return { ledger, recovered: [] };
    const next = parseLedger(renderLedger(ledger), 'ledger');
    const recovered = [];
    // Every day a commit merges is in `merged`: only types that hold days, or now fail one, change.
    const types = new Set([...changes.held, ...changes.merged]
        .map((entry) => entry.type)
        .filter((type) => (next.contentTypes[type]?.held ?? []).length > 0 || changes.held.some((held) => held.type === type)));
    if (types.size === 0)
        return { ledger, recovered: [] };
    for (const type of types) {
        const entry = next.contentTypes[type] ?? { fetched: {}, failed: [], gaps: [] };
        next.contentTypes[type] = entry;
        const result = nextHeldDays(entry.held ?? [], type, changes, formatInstant(now));
        if (result.held.length > 0)
            entry.held = result.held;
        else
            delete entry.held;
        recovered.push(...result.recovered.map((held) => heldFailure(type, held)));
    }
    return { ledger: next, recovered };
}
/**
 * The ledger with its free text (error messages, reasons, file names) passed through
 * `redact`: only text that came from outside, never its structure. Redacting the rendered
 * JSON would also hit times and blob keys that happen to hold a short masked value.
 */
function redactLedger(ledger, redact) {
    const window = (entry) => ({ ...entry, message: redact(entry.message) });
    const next = { ...ledger, contentTypes: {} };
    for (const [type, entry] of Object.entries(ledger.contentTypes)) {
        next.contentTypes[type] = {
            ...entry,
            failed: entry.failed.map(window),
            gaps: entry.gaps.map(window),
            ...(entry.held
                ? {
                    held: entry.held.map((held) => ({
                        ...held,
                        reason: redact(held.reason),
                        ...(held.file === undefined ? {} : { file: redact(held.file) })
                    }))
                }
                : {})
        };
    }
    if (ledger.graph)
        next.graph = { ...ledger.graph, failed: ledger.graph.failed.map(window) };
    return next;
}

;// CONCATENATED MODULE: ./src/action/test-hooks.ts
/**
 * Settings only a test suite changes, read from the environment (never inputs, so that no
 * workflow turns off the pacing github.com asks for by accident). Each shortens a wait or a
 * size that is right for production but would make tests against local fakes slow; none
 * changes what the action does, only how long it waits or how large a file grows.
 *
 * | variable | production value | what it scales |
 * |---|---|---|
 * | `M365_AUDIT_SYNC_TEST_GITHUB_PACING_MS` | 1000 | spacing of GitHub writes (×3 for issues), GitHub retry backoff |
 * | `M365_AUDIT_SYNC_TEST_RETRY_BASE_MS` | 500 | first backoff of a failed Management API call (doubles per attempt) |
 * | `M365_AUDIT_SYNC_TEST_MAX_PART_BYTES` | 33554432 | size at which a day's snapshot is cut into parts |
 * | `M365_AUDIT_SYNC_TEST_PROGRESS_MS` | 30000 | how often a long run logs its progress |
 * | `M365_AUDIT_SYNC_TEST_SETTLE_MS` | 691200000 | how long after its end a day settles and is compacted |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_POLL_MS` | 5000 | first wait between status polls of a Graph query (it doubles up to 24×) |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_RETRY_MS` | 2000 | first backoff of a failed Graph call (doubles per attempt) |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_SETTLE_MS` | 86400000 | how long after its end a Graph window is queried again |
 * | `M365_AUDIT_SYNC_TEST_GRAPH_WAIT_MS` | `graph-wait` | how long a run waits for its Graph queries (the input allows 1m at least) |
 */
const TEST_HOOKS = {
    githubPacingMs: 'M365_AUDIT_SYNC_TEST_GITHUB_PACING_MS',
    retryBaseDelayMs: 'M365_AUDIT_SYNC_TEST_RETRY_BASE_MS',
    maxPartBytes: 'M365_AUDIT_SYNC_TEST_MAX_PART_BYTES',
    progressEveryMs: 'M365_AUDIT_SYNC_TEST_PROGRESS_MS',
    settleAfterMs: 'M365_AUDIT_SYNC_TEST_SETTLE_MS',
    graphPollMs: 'M365_AUDIT_SYNC_TEST_GRAPH_POLL_MS',
    graphRetryMs: 'M365_AUDIT_SYNC_TEST_GRAPH_RETRY_MS',
    graphWaitMs: 'M365_AUDIT_SYNC_TEST_GRAPH_WAIT_MS',
    graphSettleMs: 'M365_AUDIT_SYNC_TEST_GRAPH_SETTLE_MS'
};
function readTestHooks(env) {
    const hooks = {};
    for (const [key, variable] of Object.entries(TEST_HOOKS)) {
        const text = env[variable]?.trim();
        const value = text ? Number(text) : NaN;
        if (Number.isFinite(value) && value >= 0)
            hooks[key] = value;
    }
    return hooks;
}

// EXTERNAL MODULE: ./node_modules/@azure/msal-node/dist/index.mjs + 115 modules
var dist = __webpack_require__(2669);
;// CONCATENATED MODULE: ./src/auth/entra-errors.ts
const ADVICE = {
    '7000215': "the client secret is wrong: use the secret's Value (not its Secret ID), or create a new secret in the app registration and update the repository secret",
    '7000222': 'the client secret has expired: create a new one in the app registration (Certificates & secrets) and update the repository secret',
    '700027': 'the certificate that signed the sign-in is not registered on the app, or the signature does not verify: upload the certificate (the public part, ' +
        'e.g. cert.pem) under Certificates & secrets → Certificates of the app registration',
    '700016': "no app with this client-id exists in this tenant: check 'client-id' and 'tenant-id', and that 'cloud' matches where the app is registered",
    '90002': "the tenant was not found: check 'tenant-id' and that 'cloud' (or 'authority') matches the tenant's cloud",
    '500011': "the tenant does not know the Management API resource asked for: check 'cloud' or 'audience' (GCC, GCC High and DoD have their own hosts)",
    '1002012': "the token scope is invalid: check 'audience'",
    '70011': "the token scope is invalid: check 'audience'",
    '900382': "the app is registered in another cloud than the one asked for: set 'cloud' (or 'authority'/'audience') to the tenant's cloud",
    '7000229': 'the app has no service principal in this tenant: an administrator must grant consent to the app in this tenant',
    '700024': 'the federated token is outside its valid time range: check the runner clock',
    '70021': "no federated credential of the app matches this workflow's token: check the credential's issuer, subject and audience",
    '700211': "no federated credential of the app has this token's issuer: check the credential's issuer",
    '700212': "no federated credential of the app has this token's audience: check the credential's audience and 'oidc-audience'",
    '700213': "no federated credential of the app has this workflow's subject: check the credential's subject",
    '53003': 'a Conditional Access policy blocked the sign-in: exclude this workload identity or adjust the policy'
};
/** Federated-credential codes, whose fix is to register what the workflow presents. */
const FEDERATION_MISMATCH = new Set(['70021', '700211', '700212', '700213']);
/** The AADSTS number in an error text, if any. */
function aadstsCode(text) {
    return /AADSTS(\d+)/.exec(text)?.[1];
}
/**
 * How to fix a sign-in failure, or undefined for an unknown code. With the context, the
 * advice names what to compare or register: the certificate's thumbprint, the workflow's
 * subject.
 */
function adviceFor(code, context) {
    const base = code ? ADVICE[code] : undefined;
    if (!base || !code || !context)
        return base;
    const credential = context.credential;
    if (code === '700027' && credential.kind === 'github-oidc') {
        const issuer = context.presented?.issuer ?? 'the token';
        return (`the signature of the GitHub token did not verify against the keys of its issuer (${issuer}): check that the federated ` +
            `credential's issuer is exactly the one the token names (https://token.actions.githubusercontent.com on github.com)`);
    }
    if (code === '700027' && credential.kind === 'certificate') {
        const { subject, thumbprintSha1 } = credential.certificate;
        return `${base}. This run signed with ${subject}, whose SHA-1 thumbprint (as the admin center lists it) is ${thumbprintSha1}`;
    }
    if (FEDERATION_MISMATCH.has(code) && credential.kind === 'github-oidc' && context.presented) {
        const { issuer, subject, audience } = context.presented;
        const what = base.split(':')[0] ?? base;
        return (`${what}. This workflow presents subject '${subject}' (issuer ${issuer}, audience ${audience}); register exactly these in the ` +
            `Entra admin center: App registrations → the app → Certificates & secrets → Federated credentials → Add credential, ` +
            `scenario "Other issuer" (the subject goes in "Value")`);
    }
    return base;
}

;// CONCATENATED MODULE: ./src/auth/entra-token.ts




/**
 * How long a sign-in may take, metadata and token request together. MSAL sets no deadline of
 * its own: a stalled connection would hold the run until the job's 6 hours are up.
 */
const SIGN_IN_TIMEOUT_MS = 120_000;
/** `work`, or the error `late` makes if it has not settled within `ms`. */
async function withDeadline(work, ms, late) {
    let timer;
    try {
        return await Promise.race([
            work,
            new Promise((_, reject) => {
                timer = setTimeout(() => reject(late()), ms);
            })
        ]);
    }
    finally {
        clearTimeout(timer);
    }
}
/** Raised when Entra ID refuses to issue a token; the message says what to change. */
class SignInError extends Error {
    constructor(message) {
        super(message);
        this.name = 'SignInError';
    }
}
/** A token is renewed this long before it expires, as MSAL's own cache does. */
const RENEW_BEFORE_MS = 5 * 60_000;
/**
 * Client-credentials sign-in with MSAL. The authority host is declared as known, which
 * skips MSAL's instance discovery call: it works the same for every cloud and for a
 * custom authority without reaching login.microsoftonline.com first.
 *
 * The token is kept here rather than in MSAL's cache: MSAL calls a client-assertion callback
 * on every acquire, cache hit or not, and for OIDC each call is a request to GitHub. So MSAL
 * is asked only when a token is missing, about to expire or refused, and then always goes to
 * Entra ID; concurrent callers share that one request.
 */
function createTokenProvider(options) {
    const context = { credential: options.credential };
    const config = {
        auth: {
            clientId: options.clientId,
            authority: `${options.authorityHost}/${options.tenantId}`,
            knownAuthorities: [new URL(options.authorityHost).host],
            ...msalCredential(options, (presented) => {
                context.presented = presented;
                options.onPresented?.(presented);
            })
        }
    };
    const app = new dist/* ConfidentialClientApplication */.WR(config);
    const scopes = [`${options.audience}/.default`];
    let current;
    let pending;
    const acquire = async () => {
        let token;
        let expiresOn;
        try {
            const result = await withDeadline(app.acquireTokenByClientCredential({ scopes, skipCache: true }), options.timeoutMs ?? SIGN_IN_TIMEOUT_MS, () => new SignInError(`Sign-in to Entra ID for app ${options.clientId} at ${options.authorityHost} got no answer within ` +
                `${Math.round((options.timeoutMs ?? SIGN_IN_TIMEOUT_MS) / 1000)} s: check the runner's network to that host ` +
                `(HTTPS_PROXY, a firewall) and 'authority'.`));
            token = result?.accessToken;
            expiresOn = result?.expiresOn;
        }
        catch (error) {
            if (error instanceof SignInError)
                throw error;
            throw explainSignInFailure(error, options, context);
        }
        if (!token)
            throw new SignInError(`Entra ID returned no access token for ${scopes[0]}.`);
        options.onToken(token);
        const expiresAt = expiresOn?.getTime() ?? Date.now() + 2 * RENEW_BEFORE_MS;
        current = { token, renewAt: expiresAt - RENEW_BEFORE_MS };
        return token;
    };
    return {
        getToken(forceRefresh = false) {
            if (pending)
                return pending;
            if (!forceRefresh && current && Date.now() < current.renewAt)
                return Promise.resolve(current.token);
            pending = acquire().finally(() => {
                pending = undefined;
            });
            return pending;
        }
    };
}
/** The MSAL options for one kind of credential. */
function msalCredential(options, onPresented) {
    const credential = options.credential;
    switch (credential.kind) {
        case 'client-secret':
            return { clientSecret: credential.secret };
        case 'certificate':
            // SHA-256 thumbprint: MSAL then signs with PS256 and sends `x5t#S256`.
            return {
                clientCertificate: {
                    thumbprintSha256: credential.certificate.thumbprintSha256,
                    privateKey: credential.privateKeyPem
                }
            };
        case 'github-oidc': {
            const getIDToken = options.getIDToken;
            if (!getIDToken)
                throw new Error('GitHub OIDC sign-in needs a way to get GitHub ID tokens.');
            return { clientAssertion: gitHubAssertion(getIDToken, credential.audience, onPresented) };
        }
    }
}
/**
 * How MSAL says it never got an answer: it fetches the authority's metadata first and reports
 * a TLS or network failure there as `endpoints_resolution_error`, the cause left out.
 */
const UNREACHED = /endpoints_resolution_error|network_error|ENOTFOUND|ECONNREFUSED|ECONNRESET|ETIMEDOUT|CERT_|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;
function explainSignInFailure(error, options, context) {
    if (error instanceof OidcTokenError)
        return new SignInError(error.message);
    const text = errorMessage(error);
    const code = aadstsCode(text);
    const advice = adviceFor(code, context);
    // MSAL's message is Entra's error_description: the AADSTS line, then trace and correlation ids.
    const firstLine = text.split(/\r?\n/)[0] ?? text;
    const where = `app ${options.clientId} in tenant ${options.tenantId} at ${options.authorityHost}`;
    if (!code && UNREACHED.test(text))
        return new SignInError(`Sign-in to Entra ID failed for ${where}: ${firstLine}. Entra ID was not reached: ` +
            `behind a proxy, set HTTPS_PROXY for the step; behind a company TLS inspection, set NODE_EXTRA_CA_CERTS ` +
            `to the PEM file of its root certificate; otherwise check 'authority' (or 'cloud').`);
    if (!advice || !code)
        return new SignInError(`Sign-in to Entra ID failed for ${where}: ${firstLine}`);
    // The code first, then what it means and what to do; Entra ID's own words last.
    const said = firstLine.replace(/^.*?AADSTS\d+:\s*/, '');
    return new SignInError(`Sign-in to Entra ID failed for ${where}: AADSTS${code}: ${advice}. (Entra ID: ${said})`);
}

// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(6752);
;// CONCATENATED MODULE: ./src/http/retry.ts

/** How often one call may be throttled before it fails: its window is retried by the next run. */
const THROTTLED_RETRIES = 30;
/** The default for Microsoft and GitHub calls: 6 attempts over about a minute at worst. */
const DEFAULT_RETRY = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };
/**
 * Runs `task` until it succeeds, it fails with an error `classify` calls permanent, or the
 * attempts run out. Waits Retry-After when the server sent one, else exponential backoff
 * with full jitter (so parallel downloads that failed together do not retry together).
 */
async function withRetry(task, classify, policy = DEFAULT_RETRY, onRetry = () => { }) {
    let throttles = 0;
    let renewals = 0;
    for (let attempt = 1;;) {
        try {
            return await task(attempt);
        }
        catch (error) {
            const failure = classify(error);
            if (failure.renewed && failure.retryable && renewals < 1) {
                renewals++;
                onRetry(error, attempt, 0);
                continue;
            }
            if (failure.throttled && failure.retryable && throttles < THROTTLED_RETRIES) {
                throttles++;
                const wait = failure.retryAfterMs ?? 0;
                if (wait > policy.maxDelayMs)
                    throw error;
                onRetry(error, attempt, wait);
                if (wait > 0)
                    await (0,promises_.setTimeout)(wait);
                continue;
            }
            if (!failure.retryable || attempt >= policy.attempts)
                throw error;
            const backoff = Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
            const delay = failure.retryAfterMs ?? backoff;
            if (delay > policy.maxDelayMs)
                throw error;
            onRetry(error, attempt, delay);
            attempt++;
            await (0,promises_.setTimeout)(delay);
        }
    }
}
/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
function parseRetryAfter(value, now = Date.now()) {
    if (!value)
        return undefined;
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0)
        return seconds * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

;// CONCATENATED MODULE: ./src/http/body-buffers.ts
/**
 * Buffers for response bodies that are read whole and let go of at once (a content blob is
 * scanned and its rows copied to the spool before the next download needs the buffer). A
 * fresh buffer per blob would add up to a day's bytes in allocations, and V8 answers such a
 * churn of memory outside its heap with full garbage collections.
 */
class BodyBuffers {
    keep;
    maxKeptBytes;
    spare = [];
    constructor(
    /** How many buffers to keep for reuse: about as many as bodies are read at once. */
    keep, 
    /** Larger buffers are not kept: one odd body should not pin its size for the whole run. */
    maxKeptBytes = 32 * 1024 * 1024) {
        this.keep = keep;
        this.maxKeptBytes = maxKeptBytes;
    }
    /**
     * Reads `body` whole. The bytes stay valid until `release` is called; call it once done
     * with them (it is safe to call more than once). A failed read releases by itself.
     */
    async read(body, expectedLength, 
    /** A body that would grow past this fails with `BodyTooLargeError`, before it is held. */
    maxBytes = Infinity) {
        if (expectedLength !== undefined && expectedLength > maxBytes) {
            // Never read: the connection is let go at once rather than left holding the body.
            discard(body);
            throw new BodyTooLargeError(maxBytes);
        }
        let buffer = this.take(expectedLength !== undefined && expectedLength > 0 ? expectedLength : INITIAL_BYTES);
        let filled = 0;
        try {
            for await (const chunk of body) {
                if (filled + chunk.byteLength > maxBytes)
                    throw new BodyTooLargeError(maxBytes);
                if (filled + chunk.byteLength > buffer.length) {
                    const larger = Buffer.allocUnsafe(Math.max(filled + chunk.byteLength, 2 * buffer.length));
                    buffer.copy(larger, 0, 0, filled);
                    buffer = larger;
                }
                buffer.set(chunk, filled);
                filled += chunk.byteLength;
            }
        }
        catch (error) {
            this.give(buffer);
            throw error;
        }
        let released = false;
        const held = buffer;
        return {
            bytes: held.subarray(0, filled),
            release: () => {
                if (released)
                    return;
                released = true;
                this.give(held);
            }
        };
    }
    /** Lets go of the kept buffers (no more bodies for a while: a run's downloads are done). */
    clear() {
        this.spare = [];
    }
    take(size) {
        const index = this.spare.findIndex((buffer) => buffer.length >= size);
        if (index >= 0)
            return this.spare.splice(index, 1)[0];
        return Buffer.allocUnsafe(Math.max(size, INITIAL_BYTES));
    }
    give(buffer) {
        if (buffer.length > this.maxKeptBytes)
            return;
        this.spare.push(buffer);
        if (this.spare.length > this.keep) {
            // Keep the largest: they serve any body the smaller ones can.
            this.spare.sort((a, b) => b.length - a.length);
            this.spare.length = this.keep;
        }
    }
}
const INITIAL_BYTES = 64 * 1024;
/** Destroys a response body that will not be read (undici's is a stream), quietly. */
function discard(body) {
    const stream = body;
    stream.on?.('error', () => { });
    stream.destroy?.();
}
/** A response body larger than its reader allows. */
class BodyTooLargeError extends Error {
    maxBytes;
    constructor(maxBytes) {
        super(`the response is larger than ${maxBytes} bytes`);
        this.maxBytes = maxBytes;
        this.name = 'BodyTooLargeError';
    }
}

;// CONCATENATED MODULE: ./src/http/response.ts
/** Longest time a single call may take before it counts as a dropped connection. */
const REQUEST_TIMEOUT_MS = 120_000;
/** A header's (first) value. */
function headerValue(headers, name) {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}
/** What a failed request met, with the system's code (ECONNRESET, CERT_HAS_EXPIRED) that undici keeps in `cause`. */
function describeNetworkError(error) {
    if (error instanceof Error) {
        const { code, cause } = error;
        if (cause?.code)
            return `${cause.code} ${cause.message ?? ''}`.trim();
        return code && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
    }
    return String(error);
}
/** A URL's host, to name where a response pointed without repeating the whole URL. */
function hostOf(url) {
    try {
        return new URL(url).host;
    }
    catch {
        return 'an invalid URL';
    }
}
/** A URL's origin, or undefined when it is not a URL. */
function originOf(url) {
    try {
        return new URL(url).origin;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/m365/api-error.ts
/**
 * A failed Management API call. `code` is the AF code of the error body
 * (`{"error":{"code":"AF20022","message":"..."}}`) when there was one.
 */
class ApiError extends Error {
    status;
    code;
    retryable;
    retryAfterMs;
    constructor(message, status, code, retryable, retryAfterMs) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryable = retryable;
        this.retryAfterMs = retryAfterMs;
        this.name = 'ApiError';
    }
    /**
     * The tenant's quota refused the call: 403 with AF429 (as documented), or a 429. (The
     * subscription-start throttle, 403 with code "429", is another matter: see subscriptions.)
     */
    get throttled() {
        return this.code === 'AF429' || this.status === 429;
    }
}
/** The service's own codes for "try again": throttling and internal errors. */
const TRANSIENT_CODES = new Set(['AF429', '429', 'AF50000', 'AF50005', 'AF50006']);
/** Whether a status and AF code describe a failure worth retrying. */
function isTransient(status, code) {
    if (code && TRANSIENT_CODES.has(code))
        return true;
    if (status === undefined)
        return true;
    return status === 408 || status === 429 || status >= 500;
}
/** How the retry helper should treat an error thrown by the client. */
function classifyApiError(error) {
    if (error instanceof ApiError) {
        return {
            retryable: error.retryable,
            ...(error.throttled ? { throttled: true } : {}),
            ...(error.status === 401 && error.retryable ? { renewed: true } : {}),
            ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {})
        };
    }
    // fetch rejects with TypeError for resets, refused connections and timeouts.
    return { retryable: error instanceof TypeError || (error instanceof Error && error.name === 'AbortError') };
}
/**
 * The wait the subscription-start throttle names in its message ("Please retry again after
 * 8m 46s."), in milliseconds: it comes without a Retry-After header.
 */
function retryAfterFromMessage(message) {
    const match = /retry again after\s+(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?/i.exec(message ?? '');
    if (!match || (match[1] === undefined && match[2] === undefined))
        return undefined;
    return (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 1000;
}
/** Parses an AF error body; tolerant of HTML pages and the 401 `{"Message":...}` shape. */
function parseErrorBody(text) {
    try {
        const body = JSON.parse(text);
        if (body.error) {
            return {
                ...(typeof body.error.code === 'string' ? { code: body.error.code } : {}),
                ...(typeof body.error.message === 'string' ? { message: body.error.message } : {})
            };
        }
        if (typeof body.Message === 'string')
            return { message: body.Message };
    }
    catch {
        // Gateways answer with HTML; the status says enough.
    }
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1];
    return title ? { message: title.trim() } : {};
}

;// CONCATENATED MODULE: ./src/graph/query-windows.ts



/**
 * The windows of Microsoft Graph audit log queries for a range: one per UTC day, cut at the
 * range's ends. Graph has no content-type filter, so one query serves every content type of
 * its day, and a day is a window the branch's files already use.
 */
function dailyQueryWindows(range) {
    const windows = [];
    for (let start = range.start.getTime(); start < range.end.getTime();) {
        const end = Math.min(range.end.getTime(), startOfUtcDay(start) + DAY_MS);
        windows.push({ start: new Date(start), end: new Date(end) });
        start = end;
    }
    return windows;
}
/**
 * A window whose query hit the record-count limit (`isRecordCountLimitExceeded`), cut at the
 * whole hour nearest its middle; undefined when no whole hour lies inside it. Its halves are
 * queried again; a window of an hour that still exceeds the limit fails.
 */
function halveQueryWindow(window) {
    const start = window.start.getTime();
    const end = window.end.getTime();
    const middle = start + (end - start) / 2;
    const candidates = [Math.floor(middle / HOUR_MS) * HOUR_MS, Math.ceil(middle / HOUR_MS) * HOUR_MS].filter((cut) => cut > start && cut < end);
    if (candidates.length === 0)
        return undefined;
    const cut = candidates.reduce((best, cut) => (Math.abs(cut - middle) < Math.abs(best - middle) ? cut : best));
    return [
        { start: window.start, end: new Date(cut) },
        { start: new Date(cut), end: window.end }
    ];
}
/** How the action names its queries, so that a run finds a query an earlier run submitted. */
const DISPLAY_NAME_PREFIX = 'm365-audit-sync';
/**
 * A query's `displayName`: the action's prefix, the window, and a digest of the filters.
 * A run that lost a query's id (it stopped between submitting and saving) finds the query
 * again by this name through the list endpoint, instead of submitting it twice; the digest
 * keeps a query with other filters (a user changed `operations`) from being taken for it.
 */
function queryDisplayName(window, filters) {
    return `${DISPLAY_NAME_PREFIX} ${formatInstant(window.start)}/${formatInstant(window.end)} ${query_windows_filterDigest(filters)}`;
}
/** The window a `displayName` of ours names, when it was made for these filters. */
function windowOfDisplayName(name, filters) {
    const [prefix, window, digest, ...rest] = name.split(' ');
    if (prefix !== DISPLAY_NAME_PREFIX || rest.length > 0 || digest !== query_windows_filterDigest(filters))
        return undefined;
    const [start, end] = (window ?? '').split('/').map((text) => parseInstant(text));
    if (!start || !end || start >= end)
        return undefined;
    return { start, end };
}
function query_windows_filterDigest(filters) {
    const canonical = JSON.stringify([filters.operationFilters, filters.recordTypeFilters, filters.serviceFilters].map((list) => [...(list ?? [])].map((value) => value.toLowerCase()).sort()));
    return sha256Prefix(canonical, 4, 'hex');
}
/**
 * How long after a window ends Graph is taken to have ingested everything in it. Microsoft
 * documents that audit records take from 30 minutes up to 24 hours to become available
 * (https://learn.microsoft.com/office/office-365-management-api/office-365-management-activity-api-reference,
 * "Working with the Office 365 Management Activity API"; the same pipeline feeds Purview's
 * search), so a window is queried again by later runs until a query submitted a day after its
 * end has returned it.
 */
const GRAPH_SETTLE_MS = DAY_MS;
/**
 * Whether Graph has ingested what a window will ever hold: records reach the audit log
 * minutes to a day after they happen, and a query finds only what is ingested. A window
 * that ends less than `settleMs` before `now` is queried again by later runs.
 */
function isQueryWindowSettled(window, now, settleMs) {
    return window.end.getTime() + settleMs <= now.getTime();
}

;// CONCATENATED MODULE: ./src/graph/audit-query-client.ts








/**
 * Where the audit log query API lives under a Graph root. Beta, in this one place: the v1.0
 * path answers 404 with an empty message in practice, though documented
 * (https://learn.microsoft.com/graph/api/security-auditcoreroot-post-auditlogqueries).
 */
const AUDIT_QUERIES_PATH = '/beta/security/auditLog/queries';
/** Records asked for a page; the service documents neither a default nor a maximum. */
const PAGE_SIZE = 500;
/** Largest response read: a page of 500 records is a few MB; anything far larger is not one. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** A guard against a service that keeps handing out next pages. */
const MAX_PAGES = 100_000;
/**
 * Graph calls back off from seconds to a minute or two: throttling comes without Retry-After
 * as often as with it, and is never worth retrying at once.
 */
const GRAPH_RETRY = { attempts: 6, baseDelayMs: 2_000, maxDelayMs: 120_000 };
/**
 * Microsoft Graph's audit log queries, as this action uses them: submit a query for a window,
 * read its status, find queries by name, read a finished query's records page by page. Every
 * call is retried when it fails transiently; a status poll answered 400 is one of those (the
 * service answers so when overloaded), a records page that does not parse is another.
 */
class AuditQueryClient {
    options;
    root;
    origin;
    /** A page at a time per query being read, and a poll or two. */
    bodies = new BodyBuffers(4);
    constructor(options) {
        this.options = options;
        this.origin = new URL(options.graphUrl).origin;
        this.root = `${options.graphUrl.replace(/\/+$/, '')}${AUDIT_QUERIES_PATH}`;
    }
    /**
     * Submits the query of a window; the service answers 201 with the query, not started. Tried
     * once: a submission whose answer was lost may have created the query all the same, and a
     * refusal for throttling (429: too many queries running, or the day's submissions used up)
     * is not worth trying again at once. The runner looks the query up by its name, or submits
     * it later.
     */
    async submit(window, filters) {
        const what = `submit the audit log query for ${formatRange(window)}`;
        const body = {
            displayName: queryDisplayName(window, filters),
            filterStartDateTime: formatInstant(window.start),
            filterEndDateTime: formatInstant(window.end),
            ...nonEmpty('operationFilters', filters.operationFilters),
            ...nonEmpty('recordTypeFilters', filters.recordTypeFilters),
            ...nonEmpty('serviceFilters', filters.serviceFilters)
        };
        return readQuery(await this.call(what, 'POST', this.root, { body, once: true }), what);
    }
    /** A query's current status; tried once, since the runner polls again with its own backoff. */
    async status(id) {
        const what = `read the status of audit log query ${id}`;
        return readQuery(await this.call(what, 'GET', `${this.root}/${encodeURIComponent(id)}`, { pollingStatus: true, once: true }), what);
    }
    /** Every query the tenant keeps (Purview keeps them 30 days), to find one by its name. */
    async list() {
        const queries = [];
        for await (const page of this.pages('list the audit log queries', this.root)) {
            for (const value of page)
                queries.push(readQuery(value, 'list the audit log queries'));
        }
        return queries;
    }
    /** The records of a succeeded query, a page at a time, as Graph sends them. */
    records(id) {
        return this.pages(`read the records of audit log query ${id}`, `${this.root}/${encodeURIComponent(id)}/records?$top=${PAGE_SIZE}`);
    }
    async *pages(what, first) {
        const seen = new Set();
        for (let url = first; url !== undefined;) {
            if (seen.has(url))
                throw new ApiError(`${what}: the service returned the same next page twice`, 200, undefined, false);
            if (seen.size >= MAX_PAGES)
                throw new ApiError(`${what}: more than ${MAX_PAGES} pages`, 200, undefined, false);
            seen.add(url);
            const page = (await this.call(`${what} (page ${seen.size})`, 'GET', url, { page: true }));
            yield page.value;
            const next = page['@odata.nextLink'];
            url = typeof next === 'string' && next !== '' ? this.sameOrigin(next, what) : undefined;
        }
    }
    async call(what, method, url, options = {}) {
        const policy = this.options.retry ?? GRAPH_RETRY;
        let refreshed = false;
        return withRetry(async () => {
            const token = await this.options.tokens.getToken(refreshed);
            let status;
            let text;
            let retryAfter;
            try {
                const response = await (0,undici/* request */.Em)(url, {
                    method,
                    headers: {
                        authorization: `Bearer ${token}`,
                        accept: 'application/json',
                        ...(options.body === undefined ? {} : { 'content-type': 'application/json' })
                    },
                    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
                    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
                });
                status = response.statusCode;
                retryAfter = headerValue(response.headers, 'retry-after');
                const { bytes, release } = await this.bodies.read(response.body, Number(headerValue(response.headers, 'content-length')) || undefined, this.options.maxBodyBytes ?? MAX_BODY_BYTES);
                text = bytes.toString('utf8');
                release();
            }
            catch (error) {
                // A body far larger than a page is not one: trying again would read it again.
                if (error instanceof BodyTooLargeError)
                    throw new ApiError(`${what}: ${error.message}`, undefined, undefined, false);
                throw new ApiError(`${what}: ${describeNetworkError(error)}`, undefined, undefined, true);
            }
            if (status === 401 && !refreshed) {
                refreshed = true;
                throw new ApiError(`${what}: 401 Unauthorized; retrying with a fresh token`, 401, undefined, true, 0);
            }
            if (status < 200 || status >= 300)
                throw graphFailure(what, status, text, retryAfter, options.pollingStatus);
            let body;
            try {
                body = JSON.parse(text);
            }
            catch {
                throw new ApiError(`${what}: the response is not complete JSON (${text.length} bytes)`, status, undefined, true);
            }
            if (options.page && !Array.isArray(body?.value))
                throw new ApiError(`${what}: the response has no list of values`, status, undefined, true);
            return body;
        }, (error) => classifyGraphError(error, options.once ?? false), options.once ? { ...policy, attempts: 1 } : policy, (error, attempt, delayMs) => this.options.onRetry?.(what, error, attempt, delayMs));
    }
    sameOrigin(url, what) {
        // The bearer token goes only to the Graph host, whatever a response says the next page is.
        if (originOf(url) !== this.origin)
            throw new ApiError(`${what}: the next page is on another host; refusing to send the token there`, 200, undefined, false);
        return url;
    }
}
/** Throttled calls back off like any transient failure (or as Retry-After says), unless tried once. */
function classifyGraphError(error, once) {
    const failure = classifyApiError(error);
    if (!(error instanceof ApiError) || error.status !== 429)
        return failure;
    if (once)
        return { retryable: false };
    return { retryable: true, ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }) };
}
/**
 * A failed call, explained by what the service said. Throttling (429) and server errors are
 * retried; a status poll answered 400 is too. The rest says what the user can do.
 */
function graphFailure(what, status, text, retryAfter, pollingStatus = false) {
    const { code, message } = parseErrorBody(text);
    const detail = [code, message].filter(Boolean).join(' ') || external_node_http_.STATUS_CODES[status] || '';
    const transient = status === 408 || status === 429 || status >= 500 || (pollingStatus && status === 400);
    const advice = transient ? undefined : graphAdvice(status, code, message);
    return new ApiError(`${what}: HTTP ${status} ${detail}`.trimEnd() + (advice ? `. ${advice}` : ''), status, code, transient, parseRetryAfter(retryAfter));
}
/** What the user can do about a refusal, by what it is. */
function graphAdvice(status, code, message) {
    if (message?.includes('AuditingDisabledTenant'))
        return 'Audit logging is off in the tenant: turn it on in Microsoft Purview (Audit). It does not backfill: the log holds records from when it is on';
    if (status === 403)
        return ('The app lacks the Microsoft Graph application permission AuditLogsQuery.Read.All, or an administrator has not consented to it. ' +
            'Add it under API permissions (Microsoft Graph, application) and grant admin consent (a Privileged Role Administrator or Global Administrator can)');
    if (status === 401)
        return 'The token was refused: check that graph-url names the Microsoft Graph root of the tenant’s cloud (the token is asked for <graph-url>/.default)';
    if (status === 400 && /invalid request data/i.test(message ?? ''))
        return 'Graph refused the query’s window or filters: check start, end, operations, record-types and workloads';
    if (status === 404 && code === 'UnknownError')
        return 'The audit log query API is not served at this Graph root: it exists in the commercial and GCC clouds only';
    return undefined;
}
function readQuery(value, what) {
    const query = value;
    if (!query || typeof query['id'] !== 'string' || typeof query['status'] !== 'string')
        throw new ApiError(`${what}: the response is not an audit log query`, 200, undefined, true);
    return {
        id: query['id'],
        displayName: typeof query['displayName'] === 'string' ? query['displayName'] : '',
        status: query['status'],
        recordCountLimitExceeded: limitExceeded(query)
    };
}
/**
 * Whether a query stopped at its record-count limit: `isRecordCountLimitExceeded`, which
 * Microsoft calls authoritative; a response without it (older ones lack it) is judged by
 * the counts, so that a cut result is never taken for a whole window.
 */
function limitExceeded(query) {
    const flag = query['isRecordCountLimitExceeded'];
    if (typeof flag === 'boolean')
        return flag;
    const count = query['approximateReturnedRecordCount'];
    const limit = query['recordCountLimit'];
    return typeof count === 'number' && typeof limit === 'number' && count >= limit;
}
function nonEmpty(name, values) {
    return values && values.length > 0 ? { [name]: [...values] } : {};
}

// EXTERNAL MODULE: ./node_modules/@actions/github/lib/github.js + 21 modules
var github = __webpack_require__(1758);
// EXTERNAL MODULE: ./node_modules/@octokit/plugin-retry/dist-bundle/index.js
var dist_bundle = __webpack_require__(9735);
// EXTERNAL MODULE: ./node_modules/@octokit/plugin-throttling/dist-bundle/index.js
var plugin_throttling_dist_bundle = __webpack_require__(6856);
// EXTERNAL MODULE: ./node_modules/bottleneck/light.js
var light = __webpack_require__(3251);
var light_default = /*#__PURE__*/__webpack_require__.n(light);
;// CONCATENATED MODULE: ./src/github/client.ts




/**
 * How long a request may wait for GitHub's answer to begin, its upload included (a part of
 * 32 MiB takes seconds). A stalled call then fails, names the host, and is retried as a 5xx
 * is, instead of holding the job until its timeout; a body that stops mid-way is cut by the
 * connections' own idle limit (src/http/proxy.ts).
 */
const GITHUB_ANSWER_TIMEOUT_MS = 120_000;
/** GitHub's advice: at least one second between content-creating requests. */
const GITHUB_PACING_MS = 1_000;
/** Retries of a rate-limited request before giving up. */
const RATE_LIMIT_RETRIES = 3;
/**
 * Statuses the retry plugin leaves alone: another try cannot fix them, or (429) they belong
 * to the throttling plugin, which waits as GitHub asks. Were 429 retried by both, one
 * rate-limited request would be sent again twice over, the second time without waiting.
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451];
/**
 * Builds the client with `@actions/github`'s `getOctokit` and GitHub's own retry and
 * throttling plugins: 5xx answers are retried; primary and secondary rate limits (403 or
 * 429) wait as GitHub asks, a few times; errors another try cannot fix are not retried.
 * Octokit logs each failed request itself, including the expected 404 of a branch that does
 * not exist yet; those lines go to the debug log, and the action explains real failures in
 * its own words.
 */
function createGitHubClient(options, log) {
    const debug = (message) => log?.debug(message);
    const warn = (message) => log?.warn(message);
    const pacingMs = options.pacingMs ?? GITHUB_PACING_MS;
    // Groups of our own rather than the plugin's process-wide defaults, so that the pacing is
    // a property of this client alone.
    const spaced = (minTime) => new (light_default()).Group({ maxConcurrent: 1, minTime });
    return (0,github/* getOctokit */.Q)(options.token, {
        baseUrl: options.baseUrl,
        userAgent: 'm365-audit-sync',
        // getOctokit's default fetch brings its own undici and proxy agent; the action's calls
        // to every service share one connection pool and one proxy rule (src/http/proxy.ts),
        // which the global fetch uses.
        request: {
            fetch: (input, init) => fetchWithDeadline(input, init, options.answerTimeoutMs ?? GITHUB_ANSWER_TIMEOUT_MS)
        },
        log: { debug, info: debug, warn: debug, error: debug },
        retry: { doNotRetry: DO_NOT_RETRY, retryAfterBaseValue: pacingMs },
        throttle: {
            write: spaced(pacingMs),
            notifications: spaced(3 * pacingMs),
            retryAfterBaseValue: pacingMs,
            onRateLimit: (retryAfter, request, _octokit, retryCount) => {
                warn(`GitHub rate limit reached for ${request.method} ${request.url}; retrying after ${retryAfter} s.`);
                return retryCount < RATE_LIMIT_RETRIES;
            },
            onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
                warn(`GitHub secondary rate limit for ${request.method} ${request.url}; retrying after ${retryAfter} s.`);
                return retryCount < RATE_LIMIT_RETRIES;
            }
        }
    }, dist_bundle/* retry */.L, plugin_throttling_dist_bundle/* throttling */.A);
}
/** `fetch`, failing with the host named when the answer has not begun within `ms`. */
async function fetchWithDeadline(input, init, ms) {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
    try {
        return await fetch(input, { ...init, signal });
    }
    catch (error) {
        if (!deadline.signal.aborted)
            throw error;
        const url = new URL(input instanceof Request ? input.url : input);
        // Not an AbortError: Octokit turns other errors into a 5xx its retry plugin retries.
        throw new Error(`GitHub at ${url.host} did not answer ${init?.method ?? 'GET'} ${decodeURIComponent(url.pathname)} within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`, { cause: error });
    }
    finally {
        clearTimeout(timer);
    }
}

// EXTERNAL MODULE: external "node:buffer"
var external_node_buffer_ = __webpack_require__(4573);
;// CONCATENATED MODULE: ./src/util/chunk.ts
/**
 * Cuts `items` in order into chunks of at most `maxItems` items and about `maxBytes` bytes
 * (`sizeOf` each): a chunk closes before an item that would take it past either bound, and
 * an item larger than `maxBytes` makes a chunk of its own.
 */
function chunkBySize(items, maxItems, maxBytes, sizeOf) {
    const chunks = [];
    let current = [];
    let bytes = 0;
    for (const item of items) {
        const size = sizeOf(item);
        if (current.length > 0 && (current.length >= maxItems || bytes + size > maxBytes)) {
            chunks.push(current);
            current = [];
            bytes = 0;
        }
        current.push(item);
        bytes += size;
    }
    if (current.length > 0)
        chunks.push(current);
    return chunks;
}

;// CONCATENATED MODULE: ./src/util/concurrency-gate.ts
/**
 * Runs async tasks with at most `limit` in flight; each starts as soon as a slot is free,
 * so downloads begin while listing goes on. `run` resolves or rejects with its own task.
 */
function createConcurrencyGate(limit) {
    const waiting = [];
    let running = 0;
    // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in
    // between and exceed the limit.
    const release = () => {
        const next = waiting.shift();
        if (next)
            next();
        else
            running--;
    };
    return {
        async run(task) {
            if (running >= limit)
                await new Promise((resolve) => waiting.push(resolve));
            else
                running++;
            try {
                return await task();
            }
            finally {
                release();
            }
        }
    };
}

;// CONCATENATED MODULE: ./src/github/blob-batch.ts


/** Blobs asked for in one GraphQL request, and the most text one request brings back. */
const BATCH_BLOBS = 100;
const BATCH_BYTES = 2 * 1024 * 1024;
/** Larger blobs are read over REST: GitHub truncates a Blob's text past a size it does not document. */
const BATCH_BLOB_MAX_BYTES = 256 * 1024;
/** A git object id as the query may quote it (SHA-1, or SHA-256 repositories). */
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** REST reads at a time, for blobs a batch did not bring. */
const REST_READS_AT_ONCE = 8;
/**
 * Reads many small blobs in few requests. The REST API answers one blob a request; GitHub's
 * GraphQL API answers the text of many (`Blob.text`,
 * https://docs.github.com/graphql/reference/objects#blob). A run reads every key file of the
 * days it adds to, a few hundred small text files once days have gathered additions, and a
 * workflow's GITHUB_TOKEN has 1,000 REST requests an hour for the repository
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api). Binary
 * blobs, large ones, text that does not come back whole, and any batch the GraphQL API does
 * not answer are read one by one over REST with `readOne`.
 */
async function readBlobsInBatches(octokit, repo, blobs, readOne) {
    const read = new Map();
    const unique = [...new Map(blobs.map((blob) => [blob.sha, blob])).values()];
    const rest = [];
    let graphqlAnswers = true;
    const batchable = (blob) => blob.size <= BATCH_BLOB_MAX_BYTES && OBJECT_ID.test(blob.sha);
    for (const batch of chunkBySize(unique.filter(batchable), BATCH_BLOBS, BATCH_BYTES, (blob) => blob.size)) {
        // A query that failed once (no GraphQL for this token, an outage) is not tried again.
        const texts = graphqlAnswers ? await queryBlobTexts(octokit, repo, batch) : undefined;
        if (!texts)
            graphqlAnswers = false;
        batch.forEach((blob, index) => {
            const bytes = wholeText(texts?.[`b${index}`], blob.size);
            if (bytes)
                read.set(blob.sha, bytes);
            else
                rest.push(blob);
        });
    }
    rest.push(...unique.filter((blob) => !batchable(blob)));
    const gate = createConcurrencyGate(REST_READS_AT_ONCE);
    await Promise.all(rest.map((blob) => gate.run(async () => read.set(blob.sha, await readOne(blob.sha)))));
    return read;
}
/** The texts of a batch by alias (`b0`, `b1`, …), or undefined when the query failed. */
async function queryBlobTexts(octokit, repo, batch) {
    const fields = batch
        .map((blob, index) => `b${index}: object(oid: "${blob.sha}") { ... on Blob { byteSize isBinary isTruncated text } }`)
        .join('\n    ');
    const query = `query ($owner: String!, $name: String!) {\n  repository(owner: $owner, name: $name) {\n    ${fields}\n  }\n}`;
    try {
        const data = await octokit.graphql(query, {
            owner: repo.owner,
            name: repo.repo
        });
        return data.repository ?? undefined;
    }
    catch {
        // REST reads each blob of the batch instead, and explains a failure in its own words.
        return undefined;
    }
}
/** A blob's bytes from its text, when GitHub gave it whole. */
function wholeText(blob, size) {
    if (!blob || blob.isBinary !== false || blob.isTruncated !== false || typeof blob.text !== 'string')
        return undefined;
    const bytes = Buffer.from(blob.text, 'utf8');
    return bytes.length === size ? bytes : undefined;
}

// EXTERNAL MODULE: external "node:fs/promises"
var external_node_fs_promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(7075);
;// CONCATENATED MODULE: ./src/github/blob-upload.ts




/**
 * Uploads content as a git blob (`POST /git/blobs`), base64 and streamed from disk: base64
 * needs no JSON escaping, and a part file is never held in memory (a CSV file sent inline in
 * a tree request would be escaped, decoded and encoded again, several copies of it at once,
 * costing more CPU and memory than the rest of the run). Returns the blob's sha.
 */
async function uploadBlob(octokit, repo, source) {
    const { data } = await octokit.request('POST /repos/{owner}/{repo}/git/blobs', {
        ...repo,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        // Octokit does the auth, pacing and retries; this sends the body, from the file, for every attempt.
        request: {
            fetch: streamingFetch(() => base64BlobBody(source), blobBodyLength('bytes' in source ? source.bytes.byteLength : source.size))
        }
    });
    return data.sha;
}
const BLOB_BODY_START = Buffer.from('{"encoding":"base64","content":"');
const BLOB_BODY_END = Buffer.from('"}');
/** The slowest upload a deadline allows for: 256 KiB a second. */
const UPLOAD_BYTES_A_SECOND = 256 * 1024;
/** Read this much of a file at a time. */
const UPLOAD_READ_BYTES = 1024 * 1024;
/**
 * Encode this much at a time (a multiple of 3: base64 pieces then join without padding):
 * 64 KiB of text, a short-lived string V8 collects cheaply, where a megabyte would be
 * allocated as a large object. Each piece goes to the socket as the string it is: turned
 * into a Buffer first, every piece was a new allocation outside V8's heap, more than the
 * day's size in all, and V8 answers such a churn with full garbage collections
 * (docs/benchmarks.md, "Buffers outside V8's heap").
 */
const BASE64_PIECE_BYTES = 3 * 16 * 1024;
/** The length of the createBlob body for content of `size` bytes. */
function blobBodyLength(size) {
    return BLOB_BODY_START.length + 4 * Math.ceil(size / 3) + BLOB_BODY_END.length;
}
/** The createBlob JSON body, `{"encoding":"base64","content":"…"}`, as it is read from its source. */
async function* base64BlobBody(source) {
    yield BLOB_BODY_START;
    if ('bytes' in source) {
        yield* base64Pieces(source.bytes, 0, source.bytes.length);
    }
    else {
        const file = await (0,external_node_fs_promises_.open)(source.file, 'r');
        try {
            const chunk = Buffer.allocUnsafe(UPLOAD_READ_BYTES - (UPLOAD_READ_BYTES % BASE64_PIECE_BYTES));
            for (;;) {
                let filled = 0;
                while (filled < chunk.length) {
                    const { bytesRead } = await file.read(chunk, filled, chunk.length - filled, null);
                    if (bytesRead === 0)
                        break;
                    filled += bytesRead;
                }
                if (filled === 0)
                    break;
                yield* base64Pieces(chunk, 0, filled);
                if (filled < chunk.length)
                    break;
            }
        }
        finally {
            await file.close();
        }
    }
    yield BLOB_BODY_END;
}
function* base64Pieces(bytes, start, end) {
    for (let at = start; at < end; at += BASE64_PIECE_BYTES)
        yield bytes.toString('base64', at, Math.min(at + BASE64_PIECE_BYTES, end));
}
/**
 * A fetch for one Octokit request that sends its body from `body()` (called afresh for every
 * attempt) with a known length, through undici's request on the global dispatcher (so a
 * proxy applies): the whole body never has to exist in memory at once.
 */
function streamingFetch(body, length) {
    return (async (input, init) => {
        const url = typeof input === 'string' || input instanceof URL ? input : input.url;
        const headers = {};
        new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
        headers['content-length'] = String(length);
        // The answer's deadline (see client.ts) with time to send the body, even slowly.
        const deadlineMs = GITHUB_ANSWER_TIMEOUT_MS + Math.ceil(length / UPLOAD_BYTES_A_SECOND) * 1000;
        const deadline = AbortSignal.timeout(deadlineMs);
        let response;
        try {
            response = await (0,undici/* request */.Em)(url, {
                method: 'POST',
                headers,
                body: external_node_stream_.Readable.from(body()),
                signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline
            });
        }
        catch (error) {
            if (!deadline.aborted)
                throw error;
            throw new Error(`GitHub at ${new URL(url).host} did not take a blob of ${length} bytes within ${Math.round(deadlineMs / 1000)} s`, { cause: error });
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
            for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value])
                responseHeaders.append(name, item);
        }
        return new Response(external_node_stream_.Readable.toWeb(response.body), {
            status: response.statusCode,
            headers: responseHeaders
        });
    });
}

;// CONCATENATED MODULE: ./src/github/git-database.ts




/** API error texts the logic recognises. */
const ERROR_REFERENCE_EXISTS = 'Reference already exists';
const ERROR_REPOSITORY_EMPTY = 'Git Repository is empty';
function apiMessage(error) {
    const graphqlErrors = error.errors;
    if (Array.isArray(graphqlErrors))
        return graphqlErrors.map((graphqlError) => graphqlError.message ?? '').join('; ');
    const e = error;
    return e.response?.data?.message ?? e.message ?? '';
}
/** The HTTP status of a failed call; a GraphQL refusal (HTTP 200) by the status its type stands for. */
function git_database_status(error) {
    const graphqlType = error.errors?.[0]?.type;
    if (graphqlType === 'FORBIDDEN')
        return 403;
    if (graphqlType === 'NOT_FOUND')
        return 404;
    return error.status;
}
/** The Git Data API of one repository, through Octokit: a plain object, which callers may spread to replace a call. */
function createGitDatabase(octokit, target) {
    const api = new OctokitGitDatabase(octokit, { owner: target.owner, repo: target.repo });
    return {
        getHead: (branch) => api.getHead(branch),
        listFiles: (treeSha) => api.listFiles(treeSha),
        readBlob: (sha) => api.readBlob(sha),
        readBlobs: (blobs) => api.readBlobs(blobs),
        streamBlob: (sha) => api.streamBlob(sha),
        writeTree: (baseTree, changes) => api.writeTree(baseTree, changes),
        createCommit: (message, treeSha, parents) => api.createCommit(message, treeSha, parents),
        createRef: (branch, sha) => api.createRef(branch, sha),
        updateRef: (branch, sha, expected) => api.updateRef(branch, sha, expected),
        replaceRef: (branch, sha, expected) => api.replaceRef(branch, sha, expected)
    };
}
class OctokitGitDatabase {
    octokit;
    repo;
    where;
    constructor(octokit, repo) {
        this.octokit = octokit;
        this.repo = repo;
        this.where = `${repo.owner}/${repo.repo}`;
    }
    async getHead(branch) {
        try {
            const { data: ref } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
            const { data: commit } = await this.octokit.rest.git.getCommit({ ...this.repo, commit_sha: ref.object.sha });
            return { commitSha: commit.sha, treeSha: commit.tree.sha };
        }
        catch (error) {
            if (git_database_status(error) === 404)
                return undefined;
            throw this.explain(error, `read branch '${branch}'`);
        }
    }
    async listFiles(treeSha) {
        const files = new Map();
        try {
            await this.listFolder(treeSha, '', files);
        }
        catch (error) {
            throw this.explain(error, 'list the data branch files');
        }
        return files;
    }
    /**
     * One recursive listing per folder, as long as GitHub gives it whole. A branch of some
     * years outgrows one listing (GitHub cuts it at 100,000 entries or 7 MB); its folders are
     * then listed one by one, each whole again below some depth.
     */
    async listFolder(treeSha, prefix, files) {
        const { data } = await this.octokit.rest.git.getTree({ ...this.repo, tree_sha: treeSha, recursive: 'true' });
        let entries = data.tree;
        if (data.truncated) {
            const { data: folder } = await this.octokit.rest.git.getTree({ ...this.repo, tree_sha: treeSha });
            // One folder past GitHub's limit by itself: listing part of it would read as files gone.
            if (folder.truncated)
                throw new Error(`the folder '${prefix || '/'}' of the data branch holds more entries than GitHub lists at once (100,000)`);
            entries = folder.tree;
        }
        for (const entry of entries) {
            if (!entry.path || !entry.sha)
                continue;
            if (entry.type === 'blob')
                files.set(`${prefix}${entry.path}`, { sha: entry.sha, size: entry.size ?? 0 });
            else if (entry.type === 'tree' && data.truncated)
                await this.listFolder(entry.sha, `${prefix}${entry.path}/`, files);
        }
    }
    async readBlob(sha) {
        const chunks = [];
        for await (const chunk of this.streamBlob(sha))
            chunks.push(chunk);
        return Buffer.concat(chunks);
    }
    readBlobs(blobs) {
        return readBlobsInBatches(this.octokit, this.repo, blobs, (sha) => this.readBlob(sha));
    }
    async *streamBlob(sha) {
        let body;
        try {
            const response = await this.octokit.request('GET /repos/{owner}/{repo}/git/blobs/{file_sha}', {
                ...this.repo,
                file_sha: sha,
                headers: { accept: 'application/vnd.github.raw+json' },
                request: { parseSuccessResponseBody: false }
            });
            body = response.data;
        }
        catch (error) {
            throw this.explain(error, `read blob ${sha}`);
        }
        if (!body)
            return;
        try {
            for await (const chunk of body)
                yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        catch (error) {
            throw new Error(`Could not read blob ${sha} in ${this.where}: the download broke off (${error.message}).`, { cause: error });
        }
    }
    async writeTree(baseTree, changes) {
        let tree = baseTree;
        for (const chunk of chunkTreeChanges(changes)) {
            const entries = [];
            for (const change of chunk)
                entries.push(await this.treeEntry(change));
            tree = await this.createTree(tree, entries);
        }
        if (!tree)
            throw new Error('No tree was created for a non-empty change.');
        return tree;
    }
    async createCommit(message, treeSha, parents) {
        try {
            // No author or committer: with an Actions or App token GitHub then signs the commit.
            const { data } = await this.octokit.rest.git.createCommit({
                ...this.repo,
                message,
                tree: treeSha,
                parents: [...parents]
            });
            return data.sha;
        }
        catch (error) {
            throw this.explain(error, 'create a commit');
        }
    }
    async createRef(branch, sha) {
        try {
            await this.octokit.rest.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha });
            return 'created';
        }
        catch (error) {
            if (git_database_status(error) === 422 && apiMessage(error).includes(ERROR_REFERENCE_EXISTS))
                return 'exists';
            throw this.explain(error, `create branch '${branch}'`);
        }
    }
    /**
     * REST's ref update checks only that the move is a fast forward: after an erasure reset the
     * branch to an older commit, a commit built on the erased tip is still a fast forward of it,
     * and the erased commits would come back. GraphQL's `updateRefs` also checks the value
     * before (https://docs.github.com/graphql/reference/mutations#updaterefs). Its refusals
     * are not documented by text, so any failure is judged by where the branch now points.
     */
    updateRef(branch, sha, expected) {
        return this.swapRef(branch, sha, expected, false);
    }
    replaceRef(branch, sha, expected) {
        return this.swapRef(branch, sha, expected, true);
    }
    async swapRef(branch, sha, expected, force) {
        let failure;
        try {
            const answer = await this.octokit.graphql(UPDATE_REFS, {
                repositoryId: await this.repositoryId(),
                refUpdates: [{ name: `refs/heads/${branch}`, beforeOid: expected, afterOid: sha, force }]
            });
            // Only an answer that says so counts: a body cut short reaches here as no data at all.
            if (answer?.updateRefs)
                return 'updated';
            failure = new Error('GitHub answered the ref update without saying it was made');
        }
        catch (error) {
            failure = error;
        }
        const now = await this.refSha(branch).catch(() => undefined);
        if (now === sha)
            return 'updated';
        if (now !== undefined && now !== expected)
            return 'moved';
        throw this.explain(failure, force ? `rewrite branch '${branch}' (a force push)` : `update branch '${branch}'`);
    }
    /** Where a branch points now (undefined when it is gone). */
    async refSha(branch) {
        try {
            const { data } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
            return data.object.sha;
        }
        catch (error) {
            if (git_database_status(error) === 404)
                return undefined;
            throw error;
        }
    }
    repositoryNodeId;
    /** The repository's GraphQL id, asked for once. */
    repositoryId() {
        this.repositoryNodeId ??= this.octokit.rest.repos.get(this.repo).then(({ data }) => data.node_id);
        this.repositoryNodeId.catch(() => (this.repositoryNodeId = undefined));
        return this.repositoryNodeId;
    }
    async createTree(baseTree, entries) {
        try {
            const { data } = await this.octokit.rest.git.createTree({
                ...this.repo,
                ...(baseTree ? { base_tree: baseTree } : {}),
                tree: entries.map((entry) => ({ mode: '100644', type: 'blob', ...entry }))
            });
            return data.sha;
        }
        catch (error) {
            throw this.explain(error, 'create a tree');
        }
    }
    /**
     * Small content goes inline in the tree request; files are uploaded as blobs first (see
     * blob-upload.ts), never held in memory.
     */
    async treeEntry(change) {
        if (!change.content) {
            if (change.sha === undefined)
                throw new Error(`${change.path}: a tree change needs content or a blob sha.`);
            return { path: change.path, sha: change.sha };
        }
        if ('bytes' in change.content &&
            change.content.bytes.byteLength <= INLINE_MAX_BYTES &&
            (0,external_node_buffer_.isUtf8)(change.content.bytes)) {
            return { path: change.path, content: change.content.bytes.toString('utf8') };
        }
        try {
            return { path: change.path, sha: await uploadBlob(this.octokit, this.repo, change.content) };
        }
        catch (error) {
            throw this.explain(error, `upload ${change.path}`);
        }
    }
    /** A failed call in words: what failed, where, and what to change. */
    explain(error, action) {
        const code = git_database_status(error);
        const message = apiMessage(error);
        const where = this.where;
        if (code === 409 && message.includes(ERROR_REPOSITORY_EMPTY)) {
            return new Error(`${where} has no commits yet, and GitHub's Git Data API does not work on an empty repository; create an initial commit (for example a README) and run again.`);
        }
        if (code === 401)
            return new Error(`GitHub rejected the token while trying to ${action} in ${where} (401 ${message}); check 'github-token'.`);
        if (code === 403 || code === 404) {
            return new Error(`GitHub refused to ${action} in ${where} (${code} ${message}); the token needs 'contents: write' on that repository ` +
                `(in the workflow: permissions: contents: write).`);
        }
        return new Error(`Could not ${action} in ${where}: ${code ?? ''} ${message}`.replace(/\s+/g, ' ').trim());
    }
}
const UPDATE_REFS = `mutation ($repositoryId: ID!, $refUpdates: [RefUpdate!]!) {
  updateRefs(input: { repositoryId: $repositoryId, refUpdates: $refUpdates }) { clientMutationId }
}`;
/** Content up to this size (the ledger, the manifest, the README) goes inline in the tree request. */
const INLINE_MAX_BYTES = 1024 * 1024;
/**
 * GitHub times out on large tree requests ("Sorry, your request timed out"); chunks chain
 * through base_tree, each at most this many entries and (roughly) bytes of inline content.
 */
const TREE_CHUNK_ENTRIES = 100;
const TREE_CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * Splits tree changes into requests of bounded entries and inline bytes. Files go up as blobs
 * first and weigh nothing in the tree request: counting them would only add requests, each
 * a paced content-creating call.
 */
function chunkTreeChanges(entries) {
    return chunkBySize(entries, TREE_CHUNK_ENTRIES, TREE_CHUNK_BYTES, (entry) => entry.content && 'bytes' in entry.content ? entry.content.bytes.byteLength : 0);
}

;// CONCATENATED MODULE: ./src/http/proxy.ts


const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];
/**
 * Sets up the connections every call of the action uses (Entra ID, the Management API,
 * GitHub): kept alive and reused, enough of them per host for `connections` calls at once.
 * Self-hosted runners often reach the internet only through a proxy named in HTTPS_PROXY /
 * HTTP_PROXY (with NO_PROXY exceptions), as every first-party action honours; Node does not
 * read them by itself, so the one global dispatcher is proxy-aware when they are set.
 * Returns the proxy for the log, without any credentials, or undefined when there is none.
 */
function configureConnections(env, connections) {
    // A body that stops arriving fails after this long, whichever host sends it (undici's own
    // default is five minutes).
    const options = {
        connections,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 120_000,
        bodyTimeout: REQUEST_TIMEOUT_MS
    };
    const configured = PROXY_VARIABLES.map((name) => env[name]).find((value) => value && value.trim() !== '');
    (0,undici/* setGlobalDispatcher */.bj)(configured ? new undici/* EnvHttpProxyAgent */.J2(options) : new undici/* Agent */.g6(options));
    return configured ? describeProxy(configured) : undefined;
}
/** The proxy's scheme, host and port: a proxy URL may carry a user name and password. */
function describeProxy(url) {
    try {
        const parsed = new URL(url);
        return `${parsed.protocol}//${parsed.host}`;
    }
    catch {
        return '(an unparsable proxy URL)';
    }
}

;// CONCATENATED MODULE: ./src/record/record-scanner-wasm.ts
// Generated by scripts/build-wasm.ts from assembly/record-scanner.ts (AssemblyScript 0.28.20): do not edit.
const RECORD_SCANNER_WASM = Buffer.from([
    'AGFzbQEAAAABHwRgBX9/f39/AGAEf39/fwF/YAZ/f39/f38Bf2AAAX8DBQQAAQIDBQMBAAAGVhF/AEEAC38AQQELfwBBfwt/AEF+',
    'C38AQX0LfwBBfAt/AEF7C38AQXoLfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALfwFBAAt/AUEAC38BQQALB48BDgRET05F',
    'AwAERlVMTAMBB0NVVF9PRkYDAgVFTVBUWQMDDE5PVF9BTl9BUlJBWQMEDU5PVF9BTl9PQkpFQ1QDBQpVTkVYUEVDVEVEAwYIVFJB',
    'SUxJTkcDBwdlcnJvckF0AwgFY291bnQDCQhoZWFwQmFzZQADB3NldEtleXMAAARzY2FuAAIGbWVtb3J5AgAK5QsEFgAgACQMIAEk',
    'DSACJA4gAyQPIAQkEAuBCAILfwF7IAFBEGshCyMKIQYjCyEHQQEhCkF/IQRBfyEFA0AgASAGTARAQX8PCyAAIAZqLQAAIghBIkYE',
    'QCAGIghBAWohBiACIAdqQaLEADsBACAHQQJqIQcDQAJAA0AgBiALTARAAkAgAiAHaiAAIAZq/QAEACIP/QsEACAP/QwiIiIiIiIi',
    'IiIiIiIiIiIi/SMgD/0MXFxcXFxcXFxcXFxcXFxcXP0j/VD9ZCIMBEAgDGgiDCAGaiEGIAcgDGohBwwBCyAGQRBqIQYgB0EQaiEH',
    'DAILCwsgASAGTARAQX8PCyAAIAZqLQAAIQwgBkEBaiEGIAIgB2ogDDoAACAHQQFqIQcgDEEiRgRAIAIgB2pBIjoAACAHQQFqIQcM',
    'AQsgDEHcAEYEQCABIAZMBEBBfw8LIAAgBmotAAAhDCAGQQFqIQYgAiAHaiAMOgAAIAdBAWohByAMQSJGBEAgAiAHakEiOgAAIAdB',
    'AWohBwsLDAELCyAJQQFGBEAgCgR/An9BfyAGQQFrIAhBAWoiDmsiDUEATCANQcAATnINABpBfyAAIA5qLQAAIgRBgAFPDQAaIwwg',
    'DUEHdCAEakEBdGouAQAhBANAIAQEQCMPIw4gBEEBa0ECdGooAgBqIQxBASEIA0AgCCANSAR/IAggDGotAAAgACAOaiAIai0AAEYF',
    'QQALBEAgCEEBaiEIDAELCyAEQQFrIgQgCCANRg0CGiMNIARBAXRqLgEAIQQMAQsLQX8LBSAEQQBOBH8gAyAEQQN0aiIEIAg2AgAg',
    'BCAGNgIEQX8FIAQLCyEECwwBCyACIAdqIAg6AAAgB0EBaiEHIAhB2wBGIAhB+wBGcgRAIAlBAUYEQCAKBEAgBiQIQXsPCyAGIQUL',
    'IAlBAWohCSAGQQFqIQYMAQsgCEHdAEYgCEH9AEZyBEAgBkEBaiEGIAlBAWsiCUUEQCAGJAogByQLQQAPCyAJQQFGIARBAE5xBEAg',
    'AyAEQQN0aiIEIAU2AgAgBCAGNgIEQX8hBAsMAQsgCEE6RgRAIApBACAJQQFHGyEKIAZBAWohBgwBCyAIQSxGBEAgCUEBRgRAQQEh',
    'CkF/IQQLIAZBAWohBgwBCyAIQQpGIAhBIEZyIAhBDUZyIAhBCUZyBEAgBkEBaiEGDAELIAYiCEEBaiEGA0AgASAGSgRAIAAgBmot',
    'AAAiDEH9AEYgDEEsRnIgDEHdAEZyBH9BAQUgDEEKRiAMQSBGciAMQQ1GciAMQQlGcgtFBEAgAiAHaiAMOgAAIAdBAWohByAGQQFq',
    'IQYMAgsLCyAJQQFGBEAgCgRAIAgkCEF7DwsgBEEATgRAIAMgBEEDdGoiBCAINgIAIAQgBjYCBEF/IQQLCwwACwALwgMBAn9BACQK',
    'QQAkC0EAJAkDQCMKIAFIBH8gACMKai0AACIGQQpGIAZBIEZyIAZBDUZyIAZBCUZyBUEACwRAIwpBAWokCgwBCwsjCiABTgRAQX4P',
    'CyAAIwpqLQAAQdsARwRAIwokCEF9DwsjCkEBaiQKQQEhBgNAAkADQCMKIAFIBH8gACMKai0AACIHQQpGIAdBIEZyIAdBDUZyIAdB',
    'CUZyBUEACwRAIwpBAWokCgwBCwsjCiABTgRAQX8PCyAGRSIGIwlFciAAIwpqLQAAIgdB3QBGcQ0AIAYEQCAHQSxHBEAjCiQIQXsP',
    'C0EBIQYjCkEBaiQKDAILIAdB+wBHBEAjCiQIQXwPCyMJIAVGBEBBAQ8LIAQjEEEDdCIGIwlsaiIHQf8BIAb8CwAgAyMJQQR0aiIG',
    'Iwo2AgAgBiMLNgIIIAAgASACIAcQASIHBEAgBw8FIAYjCjYCBCAGIws2AgwjCUEBaiQJQQAhBgwCCwALCyMKQQFqJAoDQCMKIAFI',
    'BH8gACMKai0AACICQQpGIAJBIEZyIAJBDUZyIAJBCUZyBUEACwRAIwpBAWokCgwBCwsjCiABSARAIwokCEF6DwtBAAsFAEGACAs='
].join(''), 'base64');

;// CONCATENATED MODULE: ./src/record/record-scanner.ts

/** The blob is not a complete JSON array of objects. */
class BlobFormatError extends Error {
    truncated;
    constructor(message, 
    /** The bytes simply stop: a download cut short, worth fetching again. */
    truncated) {
        super(message);
        this.truncated = truncated;
        this.name = 'BlobFormatError';
    }
}
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const KEY_MAX_LENGTH = 64;
const KEY_FIRST_BYTES = 128;
function fieldKeys(fields) {
    const keys = fields.map((field) => Buffer.from(field, 'utf8'));
    // Per length and first byte, the first field of that length and first byte plus one
    // (0: none); per field, the next field of the same length and first byte plus one.
    const first = new Int16Array(KEY_MAX_LENGTH * KEY_FIRST_BYTES);
    const next = new Int16Array(keys.length);
    for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index];
        if (key.length === 0 || key.length >= KEY_MAX_LENGTH || key[0] >= KEY_FIRST_BYTES)
            throw new Error(`cannot look up the field name '${fields[index]}'`);
        const slot = KEY_FIRST_BYTES * key.length + key[0];
        next[index] = first[slot];
        first[slot] = index + 1;
    }
    return { keys, scanner: new RecordScanner(keys, first, next) };
}
/**
 * Reads every record of `body` (a JSON array of objects), writing each record's bytes with
 * quotes doubled as it goes. Throws BlobFormatError when `body` is not such an array:
 * `truncated` tells a cut-off download from other bytes.
 */
function scanRecords(body, keys) {
    return keys.scanner.scan(body);
}
let compiledScanner;
const WASM_PAGE_BYTES = 64 * 1024;
const align16 = (offset) => (offset + 15) & ~15;
/**
 * One instance of the WebAssembly scanner, its keys in its memory. A scan copies the blob in
 * after them, then lays out the quote-doubled copy (twice the blob, plus 16 for the last
 * block), the records' bounds and their spans; the memory grows to the largest blob seen.
 */
class RecordScanner {
    exports;
    fields;
    dataStart;
    /** Records a scan has room for; doubled when a blob has more. */
    capacity = 2048;
    constructor(keys, first, next) {
        compiledScanner ??= new WebAssembly.Module(RECORD_SCANNER_WASM);
        this.exports = new WebAssembly.Instance(compiledScanner).exports;
        this.fields = keys.length;
        const firstAt = align16(this.exports.heapBase());
        const nextAt = align16(firstAt + first.byteLength);
        const startsAt = align16(nextAt + next.byteLength);
        const bytesAt = align16(startsAt + 4 * keys.length);
        this.dataStart = align16(bytesAt + keys.reduce((sum, key) => sum + key.length, 0));
        this.ensureMemory(this.dataStart);
        const buffer = this.exports.memory.buffer;
        new Int16Array(buffer, firstAt, first.length).set(first);
        new Int16Array(buffer, nextAt, next.length).set(next);
        const starts = new Int32Array(buffer, startsAt, keys.length);
        let offset = 0;
        keys.forEach((key, index) => {
            starts[index] = offset;
            new Uint8Array(buffer, bytesAt + offset, key.length).set(key);
            offset += key.length;
        });
        this.exports.setKeys(firstAt, nextAt, startsAt, bytesAt, keys.length);
    }
    scan(body) {
        const wasm = this.exports;
        const length = body.length;
        for (;;) {
            const bodyAt = this.dataStart;
            const outAt = align16(bodyAt + length);
            const boundsAt = align16(outAt + 2 * length + 16);
            const spansAt = boundsAt + 16 * this.capacity;
            this.ensureMemory(spansAt + 8 * this.fields * this.capacity);
            const buffer = wasm.memory.buffer;
            new Uint8Array(buffer, bodyAt, length).set(body);
            const status = wasm.scan(bodyAt, length, outAt, boundsAt, spansAt, this.capacity);
            if (status === wasm.FULL.value) {
                this.capacity *= 2;
                continue;
            }
            if (status !== wasm.DONE.value)
                throw this.formatError(body, status, wasm.errorAt.value);
            const count = wasm.count.value;
            return {
                count,
                bounds: new Int32Array(buffer, boundsAt, 4 * count),
                escaped: Buffer.from(buffer, outAt, 2 * length),
                spans: new Int32Array(buffer, spansAt, 2 * this.fields * count)
            };
        }
    }
    ensureMemory(bytes) {
        const memory = this.exports.memory;
        const missing = bytes - memory.buffer.byteLength;
        // Grown at least twofold: each growth moves the memory, and blobs differ in size.
        if (missing > 0)
            memory.grow(Math.max(Math.ceil(missing / WASM_PAGE_BYTES), memory.buffer.byteLength / WASM_PAGE_BYTES));
    }
    formatError(body, status, at) {
        const codes = this.exports;
        switch (status) {
            case codes.EMPTY.value:
                return new BlobFormatError('the body is empty', true);
            case codes.CUT_OFF.value:
                return new BlobFormatError('the body ends in the middle of the JSON; it was probably cut off', true);
            case codes.NOT_AN_ARRAY.value:
                return new BlobFormatError(`the body is not a JSON array (it starts with ${describe(body, at)})`, false);
            case codes.NOT_AN_OBJECT.value:
                return new BlobFormatError(`the element at byte ${at} is not a JSON object (${describe(body, at)})`, false);
            case codes.TRAILING.value:
                return new BlobFormatError(`there is more after the array, at byte ${at}`, false);
            default:
                return new BlobFormatError(`the body is not valid JSON at byte ${at} (${describe(body, at)})`, false);
        }
    }
}
/** How a top-level value found by the scanner becomes a field. */
const ValueKind = {
    /** Absent, or JSON null: no value. */
    Empty: 0,
    /** A string without escapes: its bytes between the quotes. */
    PlainString: 1,
    /** A string with a JSON escape, the rare case: decoded first. */
    EscapedString: 2,
    /** A number, true, false, or an object's or array's JSON: as written. */
    Literal: 3
};
function valueKind(body, start, end) {
    if (start < 0)
        return ValueKind.Empty;
    if (body[start] === QUOTE) {
        for (let at = start + 1; at < end - 1; at++)
            if (body[at] === BACKSLASH)
                return ValueKind.EscapedString;
        return ValueKind.PlainString;
    }
    if (end - start === 4 && body[start] === 0x6e && body[start + 1] === 0x75)
        return ValueKind.Empty;
    return ValueKind.Literal;
}
/**
 * A value's text: a string decoded, `null` as undefined, anything else as written (a number,
 * true or false, or the JSON of an object or array).
 */
function valueText(body, start, end) {
    switch (valueKind(body, start, end)) {
        case ValueKind.Empty:
            return undefined;
        case ValueKind.PlainString:
            return body.toString('utf8', start + 1, end - 1);
        case ValueKind.EscapedString:
            return JSON.parse(body.toString('utf8', start, end));
        default:
            return body.toString('utf8', start, end);
    }
}
function describe(body, at) {
    return JSON.stringify(Buffer.from(body.buffer, body.byteOffset + at, Math.min(20, body.length - at)).toString('utf8'));
}

;// CONCATENATED MODULE: ./src/record/columns.ts
/** Columns of an audit snapshot, in file order, named as the API names them. */
const SNAPSHOT_COLUMNS = [
    'Id',
    'CreationTime',
    'RecordType',
    'Operation',
    'Workload',
    'UserId',
    'UserType',
    'UserKey',
    'OrganizationId',
    'ResultStatus',
    'ObjectId',
    'ClientIP',
    'AuditData'
];
/** The columns taken from a record's top-level fields: all but AuditData (the record itself). */
const SCANNED_COLUMNS = SNAPSHOT_COLUMNS.slice(0, -1);
/** Index of each column in a SnapshotRow. */
const Column = Object.fromEntries(SNAPSHOT_COLUMNS.map((name, index) => [name, index]));
/** The UTC day (`YYYY-MM-DD`) of a `YYYY-MM-DDTHH:MM:SSZ` time. */
function dayOf(time) {
    return time.slice(0, 10);
}

;// CONCATENATED MODULE: ./src/m365/activity-client.ts










/**
 * Largest response read. A content blob holds at most a few thousand records, megabytes; a
 * body far larger is not one, and held whole it would take the runner's memory (downloads
 * run several at a time). It fails its window, named, and the rest of the run goes on.
 */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** Response bodies read at once, about: downloads in flight plus a listing or two. */
const BODY_BUFFERS_KEPT = 12;
/** A guard against a service that keeps handing out the same next page. */
const activity_client_MAX_PAGES = 5_000;
/**
 * The Office 365 Management Activity API, as this action uses it. Every call carries
 * PublisherIdentifier (without it the tenant shares a global quota) and is retried when the
 * failure is transient. A 401 gets one fresh token, since a revoked token can be unexpired.
 */
class ActivityClient {
    options;
    root;
    origin;
    limiter;
    bodies = new BodyBuffers(BODY_BUFFERS_KEPT);
    constructor(options) {
        this.options = options;
        this.limiter = options.limiter ?? createQuotaLimiter({ perMinute: DOCUMENTED_QUOTA_PER_MINUTE });
        this.origin = new URL(options.audience).origin;
        this.root = `${this.origin}/api/v1.0/${options.tenantId}/activity/feed`;
    }
    /** `subscriptions/list`: every subscription of the tenant with its status. */
    async listSubscriptions() {
        const { body } = await this.call('list subscriptions', 'GET', `${this.root}/subscriptions/list`, { array: true });
        return body;
    }
    /** `subscriptions/start`; an already enabled subscription (AF20024) is not an error. */
    async startSubscription(type) {
        try {
            await this.call(`start subscription ${type}`, 'POST', `${this.root}/subscriptions/start?contentType=${encodeURIComponent(type)}`);
            return 'started';
        }
        catch (error) {
            if (error instanceof ApiError && error.code === 'AF20024')
                return 'already-enabled';
            throw error;
        }
    }
    /** Lists the blobs of one window page by page, following NextPageUri to the end. */
    async *listContent(type, segment) {
        let url = `${this.root}/subscriptions/content?contentType=${encodeURIComponent(type)}` +
            `&startTime=${formatInstant(segment.start)}&endTime=${formatInstant(segment.end)}`;
        const seen = new Set();
        const what = `list ${type} ${formatRange(segment)}`;
        while (url) {
            if (seen.has(url) || seen.size >= activity_client_MAX_PAGES) {
                throw new ApiError(`${what}: the API returned the same next page twice (${seen.size} pages so far).`, 200, undefined, false);
            }
            seen.add(url);
            const { body, headers } = await this.call(what, 'GET', url, { array: true });
            yield body;
            // The service sends NextPageUri, gateways lower-case it; undici gives header names in lower case.
            const next = headerValue(headers, 'nextpageuri');
            url = next ? this.sameOrigin(next, what) : undefined;
        }
    }
    /**
     * Downloads a blob and hands its bytes, with where its records and their snapshot fields
     * are, to `use`, which must take what it needs before it returns (the scan's buffers serve
     * the next blob). A truncated or malformed body is retried like any transient failure.
     */
    releaseBuffers() {
        this.bodies.clear();
    }
    async fetchBlob(blob, use) {
        const what = `download ${blob.contentType} blob ${blob.contentId}`;
        // The bearer token goes only to the API host, whatever a response says a URI is.
        const url = this.isSameOrigin(blob.contentUri)
            ? blob.contentUri
            : `${this.root}/audit/${encodeURIComponent(blob.contentId)}`;
        const { body } = await this.call(what, 'GET', url, { read: (bytes, status) => use(readBlob(bytes, status, what)) });
        return body;
    }
    /**
     * One API call, retried as a whole when it fails transiently. The body is JSON (with
     * `array`, a 200 whose body is not a JSON array, as the service sometimes sends with an
     * error object, is such a failure too), or whatever `read` makes of its bytes.
     */
    async call(what, method, url, expect = {}) {
        const target = withPublisher(url, this.options.publisherId);
        let refreshed = false;
        return withRetry(async () => {
            const token = await this.options.tokens.getToken(refreshed);
            await this.limiter.acquire();
            let response;
            let bytes;
            try {
                response = await (0,undici/* request */.Em)(target, {
                    method,
                    headers: {
                        authorization: `Bearer ${token}`,
                        accept: 'application/json',
                        ...(method === 'POST' ? { 'content-type': 'application/json; charset=utf-8' } : {})
                    },
                    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
                });
            }
            catch (error) {
                throw new ApiError(`${what}: ${describeNetworkError(error)}`, undefined, undefined, true);
            }
            const status = response.statusCode;
            let release;
            try {
                ;
                ({ bytes, release } = await this.bodies.read(response.body, Number(headerValue(response.headers, 'content-length')), this.options.maxBodyBytes ?? MAX_RESPONSE_BYTES));
            }
            catch (error) {
                if (error instanceof BodyTooLargeError) {
                    // Not worth reading again (the reader let the connection go).
                    throw new ApiError(`${what}: the response is larger than ${sizeText(error.maxBytes)}, which no content blob or listing is; ` +
                        `the window is retried by the next run, and reported as a gap if the API keeps answering so.`, status, 'ResponseTooLarge', false);
                }
                throw new ApiError(`${what}: the connection dropped while reading the response (${describeNetworkError(error)})`, status, undefined, true);
            }
            let text;
            try {
                if (status === 401 && !refreshed) {
                    refreshed = true;
                    throw new ApiError(`${what}: 401 Unauthorized; retrying with a fresh token`, 401, undefined, true, 0);
                }
                if (status < 200 || status >= 300) {
                    const failure = this.failure(what, status, response.headers, bytes.toString('utf8'));
                    if (failure.throttled)
                        this.limiter.throttled(failure.retryAfterMs);
                    throw failure;
                }
                this.limiter.succeeded();
                if (expect.read)
                    return { body: expect.read(bytes, status), headers: response.headers };
                text = bytes.toString('utf8');
            }
            finally {
                release();
            }
            if (text.trim() === '' && !expect.array)
                return { body: undefined, headers: response.headers };
            let body;
            try {
                body = JSON.parse(text);
            }
            catch {
                throw new ApiError(`${what}: the response body is not complete JSON (${text.length} bytes); it was probably cut off`, status, undefined, true);
            }
            if (expect.array)
                expectArray(body, what);
            return { body: body, headers: response.headers };
        }, classifyApiError, this.options.retry ?? DEFAULT_RETRY, (error, attempt, delayMs) => this.options.onRetry?.(what, error, attempt, delayMs));
    }
    failure(what, status, headers, text) {
        const { code, message } = parseErrorBody(text);
        const retryAfter = parseRetryAfter(headerValue(headers, 'retry-after')) ?? retryAfterFromMessage(message);
        const detail = [code, message].filter(Boolean).join(' ') || external_node_http_.STATUS_CODES[status] || '';
        return new ApiError(`${what}: HTTP ${status} ${detail}`.trimEnd(), status, code, isTransient(status, code), retryAfter);
    }
    isSameOrigin(url) {
        return originOf(url) === this.origin;
    }
    sameOrigin(url, what) {
        if (!this.isSameOrigin(url)) {
            throw new ApiError(`${what}: NextPageUri points to another host (${hostOf(url)}); refusing to send the token there.`, 200, undefined, false);
        }
        return url;
    }
}
function withPublisher(url, publisherId) {
    if (/[?&]publisheridentifier=/i.test(url))
        return url;
    return `${url}${url.includes('?') ? '&' : '?'}PublisherIdentifier=${encodeURIComponent(publisherId)}`;
}
/** The fields the snapshot takes from each record, in column order. */
const BLOB_FIELDS = fieldKeys(SCANNED_COLUMNS);
function readBlob(bytes, status, what) {
    try {
        return { bytes, records: scanRecords(bytes, BLOB_FIELDS) };
    }
    catch (error) {
        if (!(error instanceof BlobFormatError))
            throw error;
        if (error.truncated)
            throw new ApiError(`${what}: ${error.message} (${bytes.length} bytes)`, status, undefined, true);
        // The service sometimes answers 200 with an error object instead of the array.
        let body;
        try {
            body = JSON.parse(bytes.toString('utf8'));
        }
        catch {
            throw new ApiError(`${what}: ${error.message}`, status, undefined, true);
        }
        expectArray(body, what);
        throw new ApiError(`${what}: ${error.message}`, status, undefined, true);
    }
}
function expectArray(body, what) {
    if (Array.isArray(body))
        return;
    // The service sometimes answers 200 with an error object instead of the array.
    const { code, message } = parseErrorBody(JSON.stringify(body ?? null));
    throw new ApiError(`${what}: expected a JSON array, got ${code ? `${code} ${message ?? ''}`.trim() : typeof body}`, 200, code, true);
}
/** 268435456 → "256 MiB"; small sizes in bytes. */
function sizeText(bytes) {
    return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${bytes} bytes`;
}

;// CONCATENATED MODULE: ./src/plan/render-plan.ts



/** One line that says what a plan covers, for logs and the job summary. */
function describePlan(plan, contentTypes, source = 'management-api') {
    if (contentTypes.length === 0)
        return 'Import only: nothing is listed from the Management API.';
    if (plan.windows.length === 0 && source !== 'management-api')
        return `${plan.mode === 'backfill' ? 'Backfill' : 'Scheduled run'} through Microsoft Graph audit log queries (source: ${source}): nothing is listed from the Management API; for ${contentTypes.join(', ')}.`;
    const listings = plan.windows.length * contentTypes.length;
    return (`${plan.mode === 'backfill' ? 'Backfill' : 'Scheduled run'}: ${formatInstant(plan.from)} to ${formatInstant(plan.to)}, ` +
        `${countNoun(plan.windows.length, 'segment')} of ${formatDuration(plan.windowMs)} ` +
        `for ${contentTypes.join(', ')} (${countNoun(listings, 'listing')}).`);
}
/** One line that says what a run asks of Graph. */
function describeGraphPlan(plan) {
    const asked = plan.range ? `${formatInstant(plan.range.start)} to ${formatInstant(plan.range.end)}` : 'nothing new';
    return (`Graph audit log queries: ${asked}; ${countNoun(plan.windows.length, 'window')} to query` +
        `${plan.carried > 0 ? ` (${plan.carried} left waiting or failed by earlier runs, first)` : ''}, ` +
        `${plan.pending.length} ${plan.pending.length === 1 ? 'query' : 'queries'} of earlier runs to adopt.`);
}
/** The plan as a fixed-width text table, one row per listing window. */
function renderPlanTable(plan) {
    const rows = planTableRows(plan);
    const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
    const line = (cells) => cells
        .map((cell, column) => (column === 0 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd();
    return rows.map(line).join('\n');
}
/** The plan as rows for a Markdown table (header first). */
function planTableRows(plan) {
    return [
        ['#', 'start (UTC)', 'end (UTC)', 'length'],
        ...plan.windows.map((window, index) => [
            String(index + 1),
            formatInstant(window.start),
            formatInstant(window.end),
            formatDuration(window.end.getTime() - window.start.getTime())
        ])
    ];
}

;// CONCATENATED MODULE: ./src/branch/read-ledger.ts


/** The ledger of a branch tip (empty when the tip has none yet). */
async function readLedger(files, warn) {
    const text = await files.read(LEDGER_PATH);
    return text === undefined ? emptyLedger() : parseLedger(text.toString('utf8'), LEDGER_PATH, warn);
}

;// CONCATENATED MODULE: ./src/github/branch-tip.ts

/** The ledger at a branch's tip (empty when it has none), whether the branch exists, and its file paths. */
async function readBranchLedger(git, branch, warn) {
    const tip = await openBranchTip(git, branch);
    return { ledger: await readLedger(tip.files, warn), exists: tip.head !== undefined, paths: [...tip.files.paths()] };
}
/**
 * Reads a branch's tip through the Git Data API: its head and its file list, one request
 * each (GET only); a file's bytes are downloaded when they are read.
 */
async function openBranchTip(git, branch) {
    const head = await git.getHead(branch);
    const existing = head ? await git.listFiles(head.treeSha) : new Map();
    const files = {
        has: (path) => existing.has(path),
        paths: () => existing.keys(),
        size: (path) => existing.get(path)?.size,
        read: async (path) => {
            const entry = existing.get(path);
            return entry ? await git.readBlob(entry.sha) : undefined;
        },
        readMany: async (paths) => {
            const found = paths.flatMap((path) => {
                const entry = existing.get(path);
                return entry ? [{ path, ...entry }] : [];
            });
            const blobs = await git.readBlobs(found);
            return new Map(found.map((entry) => [entry.path, blobs.get(entry.sha)]));
        },
        stream: (path) => {
            const entry = existing.get(path);
            if (!entry)
                throw new Error(`${path} is not on branch '${branch}'.`);
            return checkedLength(git.streamBlob(entry.sha), entry.size, path);
        }
    };
    return { head, files, blobs: existing };
}
/**
 * Passes a download through, failing it when it ends short of the size the tree gave: a cut
 * that happens to fall between two rows must not read as a day with fewer rows.
 */
async function* checkedLength(chunks, size, path) {
    let received = 0;
    for await (const chunk of chunks) {
        received += chunk.byteLength;
        yield chunk;
    }
    if (received !== size)
        throw new Error(`Downloading ${path} from the data branch stopped after ${received} of ${size} bytes; run again.`);
}

;// CONCATENATED MODULE: ./src/report/markup.ts

/**
 * The job summary's HTML, written as @actions/core's summary writes it: a heading, a table or
 * a list is one line, and a line of text is added as it is (the summary mixes HTML tables and
 * text lines, and Markdown is not read right after an HTML block). Text is escaped by the
 * caller (escapeHtml) where it comes from outside.
 */
class SummaryText {
    text = '';
    heading(text, level) {
        return this.line(`<h${level}>${text}</h${level}>`);
    }
    line(html) {
        this.text += html + external_node_os_.EOL;
        return this;
    }
    table(rows) {
        const cells = (row) => row.map((cell) => (typeof cell === 'string' ? `<td>${cell}</td>` : `<th>${cell.data}</th>`)).join('');
        return this.line(`<table>${rows.map((row) => `<tr>${cells(row)}</tr>`).join('')}</table>`);
    }
    list(items) {
        return this.line(`<ul>${items.map((item) => `<li>${item}</li>`).join('')}</ul>`);
    }
    toString() {
        return this.text;
    }
}
/** A header row of a table. */
function headerRow(...names) {
    return names.map((data) => ({ data, header: true }));
}
/** Text (an error message, a name) safe to put among HTML, in an element or an attribute. */
function escapeHtml(text) {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
/** An HTML link, or the text alone without an address. */
function markup_link(text, url) {
    return url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}
/** Table rows the summary and the issue show at most; a count says how many more there are. */
const MAX_TABLE_ROWS = 50;
/** Characters a table cell of untrusted text keeps at most. */
const MAX_CELL = 240;
/**
 * Text from the network (error messages, names) for a table cell of the issue or the summary:
 * untrusted, so on one line, short, and unable to break the table, open HTML, ping people
 * or start code.
 */
function cell(text) {
    const flat = text.replace(/[\r\n\t]+/g, ' ').trim();
    const short = flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
    // `#12` links an issue on GitHub: broken before escaping, which writes entities such as `&#39;`.
    return escapeHtml(short.replace(/#(?=\d)/g, '#\u200b'))
        .replace(/\|/g, '\\|')
        .replace(/`/g, "'")
        .replace(/@/g, '@\u200b');
}

;// CONCATENATED MODULE: ./src/report/gaps.ts

/** What the summary and the issue call content the API will not serve any more. */
const GAPS_TITLE = 'Gaps the API can no longer fill';
/** How to fill a gap. */
const GAPS_ADVICE = 'Export the audit log for these times from Microsoft Purview (Audit > Search > Export) and merge it in with the `import` input.';
/** The gaps as table rows (content type, time, reason), the first MAX_TABLE_ROWS of them. */
function gapRows(gaps) {
    return gaps
        .slice(0, MAX_TABLE_ROWS)
        .map((gap) => [
        cell(gap.type),
        `${cell(gap.start)}${gap.end !== gap.start ? ` – ${cell(gap.end)}` : ''}`,
        cell(gap.reason)
    ]);
}
/** The header of a gaps table. */
const GAP_COLUMNS = ['content type', 'time (UTC)', 'reason'];

;// CONCATENATED MODULE: ./src/report/failure-issue-text.ts






/** GitHub refuses issue bodies over 65,536 characters; stay well below. */
const MAX_ISSUE_TEXT = 60_000;
/** The hidden line that marks our issue, per data branch, so reruns find it again. */
function issueMarker(branch) {
    return `<!-- m365-audit-sync:failures branch=${branch.replace(/[^A-Za-z0-9._/-]/g, '_')} -->`;
}
/** Title of the failure issue. */
function issueTitle(failures) {
    return `m365-audit-sync: ${countNoun(failures.length, 'audit log window')} failed to sync`;
}
/** Body of the failure issue: what failed, since when, and the command to backfill it. */
function renderIssueBody(failures, gaps, context) {
    const lines = [
        issueMarker(context.branch),
        `The audit log sync to branch \`${cell(context.branch)}\` could not collect these windows, even after retries.`,
        failures.some((failure) => failure.type === GRAPH_QUERIES)
            ? "Every run retries the Management API's windows first (within its 7 days), and every run with `source: auto` or `graph` the Graph audit log query windows; this issue closes itself when they recover."
            : "Every run retries them first (within the API's 7 days); this issue closes itself when they recover.",
        ...(failures.some((failure) => failure.code === HELD_DAY_CODE)
            ? [
                '',
                `Rows marked \`${HELD_DAY_CODE}\` were collected, but their day could not be merged because of the file named: they wait in \`state/held/\` on the branch, and every other day was committed. ` +
                    "Fix that file, or restore it from the branch's history (`git log -- <file>`); the next run merges the day and closes this issue."
            ]
            : []),
        '',
        ...failureTable(failures),
        '',
        ...backfillHint(failures, context),
        ...gapSection(gaps),
        ...(context.runUrl ? ['', `Last failing run: ${context.runUrl}`] : [])
    ];
    return fit(lines.join('\n'), context);
}
/** Comment for a run that still fails. */
function renderStillFailingComment(failures, gaps, context) {
    return fit([
        `Still failing after the run of ${formatInstant(context.now)}: ${countNoun(failures.length, 'window')}.`,
        '',
        ...failureTable(failures),
        ...gapSection(gaps),
        ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n'), context);
}
/** Title of an issue opened by a run that stopped before it could collect. */
const STOPPED_TITLE = 'm365-audit-sync: a run stopped before collecting';
/**
 * Body of the issue a stopped run opens, or the comment it adds to the open one: why it stopped
 * (the error as the step reported it, secrets redacted, as text) and that the next run that
 * completes closes it.
 */
function renderStoppedText(reason, context, opening) {
    return fit([
        ...(opening ? [issueMarker(context.branch)] : []),
        `The audit log sync to branch \`${cell(context.branch)}\` stopped at ${formatInstant(context.now)} before it committed anything:`,
        '',
        `> ${cell(reason)}`,
        '',
        'Nothing was lost that the next runs cannot collect while the API still serves it (7 days). ' +
            'The first run that completes closes this issue.',
        ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n'), context);
}
/** Comment that closes the issue. */
function renderRecoveredComment(recovered, context) {
    const rows = recovered
        .slice(0, MAX_TABLE_ROWS)
        .map((failure) => `| ${cell(failure.type)} | ${cell(failure.start)} – ${cell(failure.end)} | ${failure.attempts} |`);
    return fit([
        recovered.length > 0
            ? `All failed windows have recovered; these were collected by the run of ${formatInstant(context.now)}.`
            : `The run of ${formatInstant(context.now)} completed, and no window is failing.`,
        ...(rows.length > 0 ? ['', '| content type | window (UTC) | failed runs |', '|---|---|---|', ...rows] : []),
        ...(recovered.length > MAX_TABLE_ROWS ? [`…and ${recovered.length - MAX_TABLE_ROWS} more.`] : []),
        ...(context.runUrl ? ['', `Run: ${context.runUrl}`] : [])
    ].join('\n'), context);
}
function failureTable(failures) {
    const rows = failures
        .slice(0, MAX_TABLE_ROWS)
        .map((failure) => `| ${cell(failure.type)} | ${cell(failure.start)} – ${cell(failure.end)} | ${cell(failure.code)} | ${cell(failure.message)} | ${cell(failure.firstFailure)} | ${cell(failure.lastFailure)} | ${failure.attempts} |`);
    return [
        '| content type | window (UTC) | error | message | first failure | last failure | failed runs |',
        '|---|---|---|---|---|---|---|',
        ...rows,
        ...(failures.length > MAX_TABLE_ROWS
            ? [`…and ${failures.length - MAX_TABLE_ROWS} more windows (see \`state/ledger.json\` on the branch).`]
            : [])
    ];
}
function backfillHint(failures, context) {
    if (failures.length === 0)
        return [];
    const workflow = context.workflowFile ?? '<workflow file>';
    const repo = context.repository ? ` --repo ${context.repository}` : '';
    // The Management API's windows and Graph's are retried by different runs: a command each.
    // Built from instants read back as instants: the ledger is text a hand may have edited, and
    // the command sits in a shell fence someone copies.
    const command = (group, extra) => {
        const start = group.map((failure) => parseInstant(failure.start).getTime()).sort((a, b) => a - b)[0];
        const end = group
            .map((failure) => parseInstant(failure.end).getTime())
            .sort((a, b) => a - b)
            .at(-1);
        return `gh workflow run ${shellWord(workflow)}${repo} -f start=${formatInstant(new Date(start))} -f end=${formatInstant(new Date(end))}${extra}`;
    };
    // A held day is not collected again: its rows are on the branch already.
    const readable = failures.filter((failure) => failure.code !== HELD_DAY_CODE && parseInstant(failure.start) && parseInstant(failure.end));
    if (readable.length === 0)
        return [];
    const graph = readable.filter((failure) => failure.type === GRAPH_QUERIES);
    const listing = readable.filter((failure) => failure.type !== GRAPH_QUERIES);
    return [
        'To retry now rather than at the next scheduled run, dispatch a backfill of the failed range:',
        '',
        '```sh',
        ...(listing.length > 0 ? [command(listing, '')] : []),
        ...(graph.length > 0 ? [command(graph, ' -f source=auto')] : []),
        '```',
        ...(graph.length > 0
            ? [
                '',
                'The Graph windows need a workflow whose `source` input reaches the step (as in `examples/history-backfill.yml`).'
            ]
            : [])
    ];
}
function gapSection(gaps) {
    if (gaps.length === 0)
        return [];
    return [
        '',
        `**${GAPS_TITLE}** (${gaps.length}): content that expired or aged past 7 days before it could be collected.`,
        GAPS_ADVICE,
        '',
        `| ${GAP_COLUMNS.join(' | ')} |`,
        '|---|---|---|',
        ...gapRows(gaps).map((row) => `| ${row.join(' | ')} |`)
    ];
}
function shellWord(text) {
    return /^[A-Za-z0-9._/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
/**
 * The text within GitHub's limit, redacted: a second net, since escaping a cell can hide a
 * masked value from the redaction. The first is where text comes from: the ledger's free text
 * and a stop's reason are redacted before they reach the issue.
 */
function fit(full, context) {
    const text = context.redact ? context.redact(full) : full;
    return text.length <= MAX_ISSUE_TEXT
        ? text
        : `${text.slice(0, MAX_ISSUE_TEXT - 40)}\n\n…(truncated to fit GitHub's limit)`;
}

;// CONCATENATED MODULE: ./src/report/failure-issue.ts




/**
 * Keeps one issue per data branch in step with the ledger's failed windows: opens it when
 * windows fail, comments on it while they keep failing (never a second issue), and comments
 * and closes it once they have all recovered.
 */
async function syncFailureIssue(octokit, target, state, context) {
    const repo = { owner: target.owner, repo: target.repo };
    const existing = await findIssue(octokit, target, context.branch);
    try {
        if (state.open.length > 0) {
            if (!existing) {
                const { data } = await octokit.rest.issues.create({
                    ...repo,
                    title: issueTitle(state.open),
                    body: renderIssueBody(state.open, state.gaps, context),
                    labels: [...target.labels]
                });
                return { action: 'opened', ...(await keptAfterOpening(octokit, target, context.branch, data)) };
            }
            await octokit.rest.issues.update({
                ...repo,
                issue_number: existing.number,
                title: issueTitle(state.open),
                body: renderIssueBody(state.open, state.gaps, context)
            });
            await octokit.rest.issues.createComment({
                ...repo,
                issue_number: existing.number,
                body: renderStillFailingComment(state.open, state.gaps, context)
            });
            return { action: 'commented', url: existing.html_url, number: existing.number };
        }
        if (existing) {
            await octokit.rest.issues.createComment({
                ...repo,
                issue_number: existing.number,
                body: renderRecoveredComment(state.recovered, context)
            });
            await octokit.rest.issues.update({
                ...repo,
                issue_number: existing.number,
                state: 'closed',
                state_reason: 'completed'
            });
            return { action: 'closed', url: existing.html_url, number: existing.number };
        }
        return { action: 'none' };
    }
    catch (error) {
        throw explainIssueError(error, target);
    }
}
/**
 * The open issue of the data branch, the oldest when there are several: jobs of a matrix that
 * fail at the same moment may each open one. The others are closed as its duplicates.
 */
async function findIssue(octokit, target, branch) {
    const marker = issueMarker(branch);
    try {
        const issues = await octokit.paginate(octokit.rest.issues.listForRepo, {
            owner: target.owner,
            repo: target.repo,
            state: 'open',
            ...(target.labels[0] ? { labels: target.labels[0] } : {}),
            per_page: 100
        });
        const ours = issues
            .filter((issue) => !issue.pull_request && (issue.body ?? '').includes(marker))
            .sort((a, b) => a.number - b.number);
        const [oldest, ...duplicates] = ours;
        for (const duplicate of duplicates) {
            const repo = { owner: target.owner, repo: target.repo, issue_number: duplicate.number };
            await octokit.rest.issues.createComment({
                ...repo,
                body: `Duplicate of #${oldest.number}: one issue per data branch.`
            });
            await octokit.rest.issues.update({ ...repo, state: 'closed', state_reason: 'not_planned' });
        }
        return oldest;
    }
    catch (error) {
        throw explainIssueError(error, target);
    }
}
/**
 * The issue that stays once this run opened one: another job of a matrix may have opened its
 * own at the same moment; the oldest is kept and the others closed as its duplicates.
 */
async function keptAfterOpening(octokit, target, branch, opened) {
    const kept = (await findIssue(octokit, target, branch)) ?? opened;
    return { url: kept.html_url, number: kept.number };
}
/** A failed issue call in words: what failed, where, and what to change (said once). */
class IssueError extends Error {
}
function explainIssueError(error, target) {
    if (error instanceof IssueError)
        return error;
    const status = error.status;
    if (status === 403 || status === 404) {
        return new IssueError(`Could not update the failure issue in ${target.owner}/${target.repo} (${status} ${errorMessage(error)}): ` +
            `the workflow needs 'permissions: issues: write', or set 'open-issue: false'. The collected data was committed.`);
    }
    return new IssueError(`Could not update the failure issue in ${target.owner}/${target.repo}: ${errorMessage(error)}`);
}
/**
 * Brings the failure issue in line with the branch. Decides from the ledger at the branch
 * tip, not this run's commit: in a matrix another run may have recorded failures since, and
 * its issue must not be closed by a run that saw none. Never throws: the data is committed.
 */
async function updateFailureIssue(target, failures, context) {
    try {
        const open = allFailures((await readBranchLedger(target.git, target.branch)).ledger);
        const outcome = await syncFailureIssue(target.octokit, target, { open, recovered: failures.recovered, gaps: failures.newGaps }, context);
        return logged(target, outcome);
    }
    catch (error) {
        target.warn(errorMessage(error), 'Failure issue not updated');
        return { action: 'none' };
    }
}
/**
 * The failure issue of a run that stopped part-way. A run that committed something brings the
 * issue in line with the branch as a finished run does (its commits may hold new failed
 * windows); one that committed nothing reports the stop (`reason`, already redacted): a comment
 * on the open issue, or a new issue that the next run to complete closes. Never throws: the
 * run's own error is what the step reports.
 */
async function issueAfterStop(target, progress, context, reason) {
    if (progress && progress.commits.length > 0) {
        return updateFailureIssue(target, progress.report?.failures ?? { recovered: [], newGaps: [] }, context);
    }
    // Nothing committed (a refused sign-in, an expired secret, a missing permission): the stop
    // itself is what someone must hear about, on the open issue or a new one.
    const repo = { owner: target.owner, repo: target.repo };
    try {
        const found = await findIssue(target.octokit, target, target.branch);
        if (found) {
            await target.octokit.rest.issues.createComment({
                ...repo,
                issue_number: found.number,
                body: renderStoppedText(reason, context, false)
            });
            return logged(target, { action: 'commented', url: found.html_url, number: found.number });
        }
        const { data } = await target.octokit.rest.issues.create({
            ...repo,
            title: STOPPED_TITLE,
            body: renderStoppedText(reason, context, true),
            labels: [...target.labels]
        });
        return logged(target, {
            action: 'opened',
            ...(await keptAfterOpening(target.octokit, target, target.branch, data))
        });
    }
    catch (error) {
        target.warn(errorMessage(explainIssueError(error, target)), 'Failure issue not updated');
        return { action: 'none' };
    }
}
/** The outcome, told to the log when the issue changed. */
function logged(target, outcome) {
    if (outcome.action !== 'none')
        target.log(`Failure issue #${outcome.number} ${outcome.action}: ${outcome.url}`);
    return outcome;
}

;// CONCATENATED MODULE: ./src/branch/coverage.ts





/**
 * The `days` UTC days up to and including `lastDay` (YYYY-MM-DD), for each content type the
 * branch holds or the ledger knows, in the API's order.
 */
function coverage(manifest, ledger, lastDay, days) {
    const end = Date.parse(`${lastDay}T00:00:00Z`);
    const window = Array.from({ length: days }, (_, index) => utcDay(new Date(end - (days - 1 - index) * DAY_MS)));
    const records = new Map();
    const types = new Set(Object.keys(ledger.contentTypes));
    for (const [path, entry] of Object.entries(manifest.files)) {
        const parsed = parseDayPath(path);
        if (!parsed)
            continue;
        types.add(parsed.type);
        const key = `${parsed.type} ${parsed.day}`;
        records.set(key, (records.get(key) ?? 0) + entry.rows);
    }
    return CONTENT_TYPES.filter((type) => types.has(type)).map((type) => {
        const state = ledger.contentTypes[type];
        // A Graph query serves every content type: a window of it that fails marks each one.
        const failed = [...(state?.failed ?? []), ...(ledger.graph?.failed ?? [])].map((window) => daysOverlapping(window.start, window.end));
        const gaps = (state?.gaps ?? []).map((gap) => daysOverlapping(gap.start, gap.end));
        return {
            type,
            days: window.map((day) => ({
                day,
                records: records.get(`${type} ${day}`) ?? 0,
                failedWindows: failed.filter((range) => range.first <= day && day <= range.last).length,
                gaps: gaps.filter((range) => range.first <= day && day <= range.last).length
            }))
        };
    });
}
/**
 * The last day a coverage window shows: the later of the newest UTC day the branch has records
 * for and today (`now`'s UTC day), so a quiet or stalled branch still shows the days it missed.
 */
function coverageEndDay(manifest, now) {
    const today = utcDay(now);
    let newest = today;
    for (const path of Object.keys(manifest.files)) {
        const day = parseDayPath(path)?.day;
        if (day && day > newest)
            newest = day;
    }
    return newest;
}
/** The same coverage cut to its last `days` days (the job summary's glance at a week). */
function lastDays(types, days) {
    return types.map((entry) => ({ type: entry.type, days: entry.days.slice(-days) }));
}
/** The first and last UTC day a [start, end) window touches. */
function daysOverlapping(start, end) {
    const last = utcDay(new Date(Math.max(Date.parse(start), Date.parse(end) - 1)));
    return { first: start.slice(0, 10), last };
}
/** One row per day (newest first), one column per content type: records, and ⚠/✖ marks. */
function renderCoverageTable(types) {
    if (types.length === 0)
        return '_Nothing collected yet._\n';
    const [header = [], ...rows] = coverageTableRows(types);
    const line = (cells) => `| ${cells.join(' | ')} |`;
    return `${line(header)}\n|---|${types.map(() => '---:').join('|')}|\n${rows.map(line).join('\n')}\n\n${COVERAGE_LEGEND}\n`;
}
/** What the marks of a coverage table mean. */
const COVERAGE_LEGEND = '⚠ a listing window that still fails (retried by every run); ✖ content the API can no longer serve (fill it from a Purview audit export).';
/** The coverage table as rows of cells, header first (for Markdown, or the job summary's HTML table). */
function coverageTableRows(types) {
    const days = (types[0]?.days ?? []).map((day) => day.day).reverse();
    return [
        ['Day (UTC)', ...types.map((entry) => entry.type)],
        ...days.map((day) => [
            day,
            ...types.map((entry) => {
                const cell = entry.days.find((candidate) => candidate.day === day);
                if (!cell)
                    return '';
                const marks = [
                    cell.failedWindows > 0 ? `⚠ ${cell.failedWindows} failed` : '',
                    cell.gaps > 0 ? `✖ ${cell.gaps} gap${cell.gaps > 1 ? 's' : ''}` : ''
                ].filter(Boolean);
                return [countText(cell.records), ...marks].join(' ');
            })
        ])
    ];
}

;// CONCATENATED MODULE: ./src/report/summary.ts





/**
 * The links of a run: the data branch and its commits on the repository's web pages (when
 * the web root is known: not on every GitHub Enterprise Server), and the failure issue.
 */
function runLinks(webRoot, repository, branch, issue) {
    const root = webRoot ? `${webRoot}/${repository.owner}/${repository.repo}` : undefined;
    return {
        branch: { name: branch, url: root ? `${root}/tree/${encodeURI(branch)}` : undefined },
        commitUrl: (sha) => (root ? `${root}/commit/${sha}` : undefined),
        issue: issue && issue.action !== 'none'
            ? { url: issue.url, number: issue.number, open: issue.action !== 'closed' }
            : undefined
    };
}
/** The log line of a run's Graph work. */
function describeGraphStats(stats) {
    return (`Graph: ${`${stats.submitted} ${stats.submitted === 1 ? 'query' : 'queries'}`} submitted` +
        `${stats.throttled > 0 ? ` (${stats.throttled} refused for throttling)` : ''}, ` +
        `${countNoun(stats.collected, 'window')} read (${stats.settled} settled), ${stats.records} records kept` +
        `${stats.skipped > 0 ? ` (${stats.skipped} of other content types or left out by the filters)` : ''}; ` +
        `${stats.pending} still running (the next run adopts them), ${stats.queued} waiting, ${stats.failed} failed.`);
}
/** Days of coverage the job summary shows at a glance. */
const SUMMARY_COVERAGE_DAYS = 7;
/** The dry-run summary: what the run would list (no table for a run that only imports). */
function renderPlanSummary(plan, headline, notes, listing) {
    const summary = new SummaryText().heading('m365-audit-sync: plan (dry run)', 2).line(headline);
    // Notes name files and windows from the workspace and the ledger: text, not markup.
    if (notes.length > 0)
        summary.list(notes.map(escapeHtml));
    if (!listing)
        return summary.toString();
    const [header = [], ...rows] = planTableRows(plan);
    return summary.table([headerRow(...header), ...rows]).toString();
}
/**
 * The summary of a sync: what was listed, records added per content type and day, the
 * commit, the last 7 days' coverage of the branch, and failures.
 */
function renderSyncSummary(outcome, headline, links) {
    const summary = new SummaryText().heading('m365-audit-sync', 2).line(headline);
    const { stats, report, imported } = outcome;
    const filtered = stats.recordsFiltered > 0 ? ` (${stats.recordsFiltered} left out by the filters)` : '';
    summary.line(`Listed ${stats.blobsListed} blobs on ${stats.pages} pages, downloaded ${stats.blobsDownloaded}, ` +
        `received ${stats.recordsReceived} records${filtered}; ${report.recordsAdded} new records in ${report.filesChanged} files.`);
    if (imported)
        writeImport(summary, imported);
    if (outcome.graph)
        summary.line(escapeHtml(describeGraphStats(outcome.graph)));
    for (const derived of report.derived) {
        if (derived.days.length > 0)
            summary.line(`${derived.title} (${derived.folder}) recomputed for ${derived.days.length} day(s): ${derived.days.join(', ')}.`);
    }
    if (report.compacted.length > 0)
        summary.line(`Compacted ${report.compacted.length} settled day(s) into their parts: ${report.compacted.join(', ')}.`);
    writeAdded(summary, report.added);
    summary.line(outcome.commitSha ? `Commit: ${commitLink(outcome.commitSha, links)}` : 'No commit: nothing new.');
    writeLinks(summary, links);
    writeCoverage(summary, report.coverage);
    writeFailures(summary, report.failures);
    return summary.toString();
}
/**
 * The summary of a run that stopped part-way: why, in which step, what it had done by then
 * (listed, downloaded, committed), and where to look next.
 */
function renderStoppedSummary(reason, progress, headline, links) {
    const summary = new SummaryText().heading('m365-audit-sync: stopped', 2);
    summary.line(`The run stopped ${progress ? `while ${STEPS[progress.step]}` : 'before it collected anything'}: ${escapeHtml(reason)}`);
    if (progress?.plan)
        summary.line(headline);
    if (progress) {
        const { stats, imported } = progress;
        const parts = [
            ...(imported ? [`read ${imported.records} records from Purview exports`] : []),
            ...(progress.windowsTotal > 0
                ? [
                    `listed ${stats.windowsListed} of ${progress.windowsTotal} windows (${stats.blobsListed} blobs)`,
                    `downloaded ${stats.blobsDownloaded} blobs with ${stats.recordsReceived} records`
                ]
                : [])
        ];
        if (parts.length > 0)
            summary.line(`Before it stopped, the run ${parts.join(', ')}.`);
    }
    const commits = progress?.commits ?? [];
    if (commits.length === 0) {
        summary.line('Nothing was committed: the data branch is as it was, and the next run starts from there.');
    }
    else {
        const added = progress?.report?.recordsAdded ?? 0;
        summary.line(`Committed before it stopped: ${added} new records in ${commits.length} commit(s), kept; the next run goes on from there. ` +
            commits.map((sha) => commitLink(sha, links)).join(' '));
        writeAdded(summary, progress?.report?.added ?? []);
    }
    writeLinks(summary, links);
    if (commits.length > 0 && progress?.report)
        writeCoverage(summary, progress.report.coverage);
    return summary.toString();
}
/** How the summary of a stopped run names the step it stopped in. */
const STEPS = {
    'import files': 'checking the files to import',
    plan: 'reading the data branch to plan',
    subscriptions: 'checking the subscriptions',
    import: 'importing Purview exports',
    query: 'running Microsoft Graph audit log queries',
    collect: 'listing and downloading content',
    commit: 'committing to the data branch'
};
/** Records added per content type and day. */
function writeAdded(summary, added) {
    if (added.length === 0)
        return;
    summary.table([
        headerRow('content type', 'day (UTC)', 'records added'),
        ...added.map((entry) => [entry.type, entry.day, String(entry.records)])
    ]);
}
/** The data branch and the failure issue. */
function writeLinks(summary, links) {
    const issue = links.issue
        ? `; failure issue ${markup_link(`#${links.issue.number}`, links.issue.url)}${links.issue.open ? '' : ' (closed: every failed window recovered)'}`
        : '';
    summary.line(`Data branch: ${markup_link(links.branch.name, links.branch.url)}${issue}.`);
}
/** A commit's page, or its sha. */
function commitLink(sha, links) {
    const url = links.commitUrl(sha);
    return url ? markup_link(sha.slice(0, 7), url) : sha;
}
/** The branch's last 7 days per content type: records, failing windows, gaps. */
function writeCoverage(summary, coverage) {
    if (coverage.length === 0)
        return;
    const [header = [], ...rows] = coverageTableRows(lastDays(coverage, SUMMARY_COVERAGE_DAYS));
    summary.heading(`Coverage of the data branch, last ${SUMMARY_COVERAGE_DAYS} days`, 3);
    summary.table([headerRow(...header), ...rows]);
    summary.line(COVERAGE_LEGEND);
}
/** New gaps, recovered windows and the windows still failing. */
function writeFailures(summary, failures) {
    const { open, recovered, newGaps } = failures;
    if (newGaps.length > 0) {
        summary.heading(GAPS_TITLE, 3).line(GAPS_ADVICE);
        summary.table([headerRow(...GAP_COLUMNS), ...gapRows(newGaps)]);
    }
    if (recovered.length > 0)
        summary.line(`Recovered ${recovered.length} window(s) that failed in earlier runs.`);
    if (open.length > 0) {
        summary.heading('Failed windows', 3);
        summary.table([
            headerRow('content type', 'window (UTC)', 'error', 'failed runs'),
            ...open
                .slice(0, MAX_TABLE_ROWS)
                // Ledger text: a hand-edited ledger is text from outside too.
                .map((failure) => [
                cell(failure.type),
                cell(`${failure.start} to ${failure.end}`),
                cell(failure.code),
                String(failure.attempts)
            ])
        ]);
    }
}
/** The import: per file what it held, then the bad rows with file and line. */
function writeImport(summary, imported) {
    summary.heading('Imported Purview exports', 3);
    summary.table([
        headerRow('file', 'format', 'rows', 'records', 'left out by filters', 'bad rows'),
        ...imported.files.map((file) => [
            cell(file.file),
            file.format,
            String(file.rows),
            String(file.records),
            String(file.filtered),
            String(file.bad)
        ])
    ]);
    if (imported.badRows === 0)
        return;
    const listed = Math.min(imported.bad.length, MAX_TABLE_ROWS);
    summary.heading('Rows not imported', 3);
    summary.line(`${imported.badRows} row(s) were not imported${imported.badRows > listed ? `; the first ${listed} are listed` : ''}. ` +
        'Fix them in the file (or export the time range again) and run the import again: rows already imported are not added twice.');
    summary.table([
        headerRow('file:line', 'reason'),
        ...imported.bad.slice(0, listed).map((row) => [cell(`${row.file}:${row.line}`), cell(row.reason)])
    ]);
}
/** The retention pass's line, as a paragraph of the job summary. */
function renderRetentionSummary(line) {
    return `<p>${escapeHtml(line)}</p>`;
}

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
;// CONCATENATED MODULE: ./src/record/audit-record.ts


const API_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
/**
 * Whether a `YYYY-MM-DDTHH:MM:SS` text (digits where the shape has them) names a real
 * instant: no 31 November, no hour 24. Read digit by digit: it runs for every record.
 */
function isValidTime(value) {
    const digits = (at, count) => {
        let number = 0;
        for (let index = at; index < at + count; index++)
            number = 10 * number + value.charCodeAt(index) - 48;
        return number;
    };
    const year = digits(0, 4);
    const month = digits(5, 2);
    const day = digits(8, 2);
    if (month < 1 || month > 12 || day < 1)
        return false;
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const daysInMonth = month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1];
    return day <= daysInMonth && digits(11, 2) < 24 && digits(14, 2) < 60 && digits(17, 2) < 60;
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const NAIVE_OR_ZONED = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i;
/**
 * `CreationTime` as `YYYY-MM-DDTHH:MM:SSZ`. The API sends it without a zone, and it is UTC;
 * a zone, if present, is honoured. Undefined when the value is not a time.
 */
function normalizeCreationTime(value) {
    if (typeof value !== 'string')
        return undefined;
    // The API's own shape, by far the most common: only the zone is missing.
    if (value.length === 19 && API_TIME.test(value) && isValidTime(value))
        return `${value}Z`;
    const match = NAIVE_OR_ZONED.exec(value.trim());
    if (!match)
        return undefined;
    const [, day, time, , zone] = match;
    // Date would roll 29 February 2026 over to 1 March, and 24:00 to the next day.
    if (!isValidTime(`${day}T${time}`))
        return undefined;
    const instant = new Date(`${day}T${time}${zone ?? 'Z'}`);
    if (Number.isNaN(instant.getTime()))
        return undefined;
    return formatInstant(instant);
}
/**
 * The record as canonical JSON: keys sorted at every level. The API repeats records with
 * their keys in another order; canonical text makes a record's bytes the same whichever
 * copy arrived first, so snapshots are reproducible.
 */
function canonicalJson(value) {
    return JSON.stringify(sortKeys(value));
}
function sortKeys(value) {
    if (Array.isArray(value))
        return value.map(sortKeys);
    if (value !== null && typeof value === 'object') {
        const sorted = {};
        for (const key of Object.keys(value).sort())
            sorted[key] = sortKeys(value[key]);
        return sorted;
    }
    return value;
}
/**
 * The identity of a record for de-duplication: its `Id`, lower-cased (a GUID). A record
 * without one, which the schema does not allow but a workload might still send, is keyed by
 * the hash of its canonical JSON so that it is kept once rather than dropped.
 */
function recordId(record) {
    const id = record.Id;
    if (typeof id === 'string' && id.trim() !== '')
        return id.trim().toLowerCase();
    return `sha256-${(0,external_node_crypto_.createHash)('sha256').update(canonicalJson(record)).digest('hex').slice(0, 32)}`;
}

;// CONCATENATED MODULE: ./src/collect/blob-rows.ts



/**
 * The rows of a downloaded blob: each record's key (its Id, lower-cased) and time (its
 * CreationTime as `YYYY-MM-DDTHH:MM:SSZ`, or `placeUntimed(id)` for a record without a
 * readable one), with its payload in the day files' format (`encode`, see
 * snapshot/format/snapshot-format.ts). The payload's bytes are reused for the next row: take
 * them before asking for it.
 *
 * With `keep`, records it refuses are skipped before anything else is done with them: the
 * filter reads the scanned spans of `Operation`, `Workload` and `RecordType`, no record is
 * parsed for it, and a skipped record is not placed (nor remembered as untimed).
 */
function* blobRows(content, placeUntimed, encode, keep) {
    const { bytes, records } = content;
    const { spans, bounds } = records;
    const stride = 2 * SCANNED_COLUMNS.length;
    let base = 0;
    // One reader for every record (it follows `base`): no closure per record.
    const read = (field) => valueText(bytes, spans[base + 2 * Column[field]], spans[base + 2 * Column[field] + 1]);
    for (let index = 0; index < records.count; index++) {
        base = stride * index;
        if (keep && !keep.matches(read))
            continue;
        const named = valueText(bytes, spans[base + 2 * Column.Id], spans[base + 2 * Column.Id + 1]);
        const id = recordKey(bytes, bounds[4 * index], bounds[4 * index + 1], named);
        const time = normalizeCreationTime(valueText(bytes, spans[base + 2 * Column.CreationTime], spans[base + 2 * Column.CreationTime + 1])) ?? placeUntimed(id);
        yield { time, id, payload: encode(bytes, records, index, id, time) };
    }
}
/**
 * A record's identity: its Id, or for a record without one (the schema requires it; a
 * workload might still leave it out) the hash of its content, so that it is kept once.
 */
function recordKey(bytes, start, end, id) {
    if (id !== undefined && id.trim() !== '')
        return id.trim().toLowerCase();
    return recordId(JSON.parse(bytes.toString('utf8', start, end)));
}

;// CONCATENATED MODULE: ./src/collect/subscriptions.ts

/**
 * Makes sure each content type has an enabled subscription. Lists first and starts only
 * what is missing: the service allows one start per 15 minutes, and starting on every run
 * is what got other collectors throttled.
 */
async function ensureSubscriptions(client, types) {
    let existing;
    try {
        existing = await client.listSubscriptions();
    }
    catch (error) {
        throw explainSubscriptionError(error, types.join(', '));
    }
    const outcomes = new Map();
    for (const type of types) {
        const subscription = existing.find((entry) => entry.contentType?.toLowerCase() === type.toLowerCase());
        if (subscription?.status?.toLowerCase() === 'enabled') {
            outcomes.set(type, 'enabled');
            continue;
        }
        try {
            outcomes.set(type, await client.startSubscription(type));
        }
        catch (error) {
            // Another run (a matrix job, a manual backfill) may have started it moments ago: the
            // service then refuses starts for 15 minutes. Carry on; if there really is no
            // subscription, its windows fail with AF20022 and are retried by the next run.
            if (error instanceof ApiError && error.code === '429') {
                outcomes.set(type, 'start-throttled');
                continue;
            }
            throw explainSubscriptionError(error, type);
        }
    }
    return outcomes;
}
/**
 * Turns the subscription errors a user can fix into instructions; other errors pass through.
 * Used for listing too: a subscription can be disabled or missing when content is listed.
 */
function explainSubscriptionError(error, type) {
    if (!(error instanceof ApiError))
        return error;
    const text = error.message;
    if (error.throttled) {
        return new Error(`The tenant's Management API quota kept refusing calls for ${type} (${error.code ?? `HTTP ${error.status}`}, throttled) even after ` +
            `waiting; the next run retries this window first. The quota (about 2,000 calls a minute) is shared by every tool that ` +
            `uses the same PublisherIdentifier: if others need part of it, set 'api-quota' lower or 'concurrency' smaller. ${text}`);
    }
    if (error.code === 'AF20023') {
        return new Error(`The ${type} subscription was disabled by an administrator (AF20023); re-enable it (the next run starts it again), ` +
            `or remove ${type} from 'content-types'. ${text}`);
    }
    if (error.code === 'AF20022') {
        return new Error(`There is no ${type} subscription (AF20022): it was stopped during the run; the next run starts it again. ${text}`);
    }
    // Only the tenant's own absence means audit logging is off: content that "does not exist"
    // (AF20050) is a blob the service lost, not an audit setting.
    if (/DataServiceException/.test(text) || /\bTenant\b[^.]*\bdoes not exist/i.test(text)) {
        return new Error(`The Management API answered for ${type} that the tenant has no audit log: unified audit logging is off; turn it on in Microsoft Purview ` +
            `(Audit > Start recording user and admin activity), wait up to 60 minutes, then run again. ${text}`);
    }
    if (error.code === 'AF20050') {
        return new Error(`A ${type} content blob the listing named is not there (AF20050): the service lists content it cannot serve now and then; ` +
            `the next run retries this window first, and a window still failing after 7 days is reported as a gap to fill from a Purview export. ${text}`);
    }
    if (error.code === '429') {
        return new Error(`Starting the ${type} subscription was throttled: the service allows one start per 15 minutes; run again later. ${text}`);
    }
    if (error.code === 'AF10001' || error.status === 401 || error.status === 403) {
        return new Error(`The Management API refused the app for ${type}: it needs the Office 365 Management APIs application permission ` +
            `ActivityFeed.Read${type.includes('DLP.All') ? ' (and ActivityFeed.ReadDlp for DLP.All)' : ''} with admin consent. ${text}`);
    }
    return error;
}

;// CONCATENATED MODULE: ./src/collect/collect.ts








/** Counts of a collection that has not started. */
function emptyCollectionStats() {
    return {
        windows: 0,
        windowsListed: 0,
        pages: 0,
        blobsListed: 0,
        blobsDownloaded: 0,
        blobsSkipped: 0,
        blobsExpired: 0,
        recordsReceived: 0,
        recordsFiltered: 0,
        recordsByType: {}
    };
}
/** Adds a pass's counts to a total. */
function addStats(total, part) {
    for (const key of [
        'windows',
        'windowsListed',
        'pages',
        'blobsListed',
        'blobsDownloaded',
        'blobsSkipped',
        'blobsExpired',
        'recordsReceived',
        'recordsFiltered'
    ]) {
        total[key] += part[key];
    }
    for (const [type, count] of Object.entries(part.recordsByType)) {
        total.recordsByType[type] = (total.recordsByType[type] ?? 0) + count;
    }
}
/**
 * Lists every window page by page and downloads the blobs the ledger has not seen,
 * `concurrency` at a time. Each record becomes a row of the UTC day of its CreationTime,
 * whichever window listed its blob (late events land in older days), in the spool; copies
 * are dropped when the spool is merged into the day files.
 * A window whose listing or downloads still fail after retries is reported as failed and the
 * rest goes on; what it did download is kept. A blob that expired before it could be
 * downloaded (AF20051) is reported as a gap, never dropped silently.
 */
async function collect(options) {
    const collector = new Collector(options);
    const { windows, spool, maxRecords } = options;
    // Windows are listed one at a time, so the listing load stays flat; the downloads they
    // find run in the shared pool meanwhile.
    const pending = [];
    let started = 0;
    for (const window of windows) {
        if (started > 0 && maxRecords !== undefined && spool.rows >= maxRecords)
            break;
        pending.push((await collector.listWindow(window)).downloaded);
        started++;
    }
    await Promise.all(pending);
    // The commit that follows merges and uploads; what downloads kept would only add to its peak.
    options.source.releaseBuffers?.();
    return collector.finish(windows.slice(0, started), windows.slice(started));
}
/** One collection's state: counts, failures and what each content type gathered. */
class Collector {
    options;
    stats;
    failures = [];
    types;
    downloads;
    filterDigest;
    constructor(options) {
        this.options = options;
        this.filterDigest = options.filterDigest ?? '';
        this.stats = options.stats ?? emptyCollectionStats();
        this.stats.windows = options.windows.length;
        const types = [...new Set(options.windows.map((window) => window.type))];
        this.types = new Map(types.map((type) => [
            type,
            { fetched: [], expired: [], succeeded: [], queued: new Set(), records: 0, untimed: {} }
        ]));
        this.downloads = createConcurrencyGate(options.concurrency);
    }
    /** Lists one window; resolves once it is listed, with a promise that settles with its downloads. */
    async listWindow(window) {
        const state = this.types.get(window.type);
        const downloads = [];
        let failure;
        const fail = (error) => {
            failure ??= describeFailure(explainSubscriptionError(error, window.type), error);
        };
        try {
            for await (const page of this.options.source.listContent(window.type, window.range)) {
                this.stats.pages++;
                for (const blob of page) {
                    this.stats.blobsListed++;
                    if (state.queued.has(blob.contentId) ||
                        wasFetched(this.options.ledger, window.type, blob.contentId, this.filterDigest)) {
                        this.stats.blobsSkipped++;
                        continue;
                    }
                    state.queued.add(blob.contentId);
                    downloads.push(this.downloads.run(() => this.download(window.type, blob, state).catch(fail)));
                }
            }
        }
        catch (error) {
            fail(error);
        }
        this.stats.windowsListed++;
        return { downloaded: Promise.all(downloads).then(() => this.settle(window, state, failure)) };
    }
    /** The ledger updates of the windows listed, and what is left for later. */
    finish(listed, remaining) {
        this.stats.windows = listed.length;
        const updates = [...this.types].map(([type, state]) => {
            this.stats.recordsByType[type] = state.records;
            this.options.log?.(`${type}: ${state.queued.size} new blobs, ${state.records} records.`);
            const range = remaining.length === 0 ? this.options.range : listedRange(listed, type);
            return {
                type,
                fetched: state.fetched,
                filter: this.filterDigest,
                ...(range ? { listed: range } : {}),
                succeeded: state.succeeded,
                failures: this.failures.filter((failure) => failure.type === type),
                expired: state.expired,
                untimed: state.untimed
            };
        });
        return { updates, failures: this.failures, stats: this.stats, remaining };
    }
    /** Downloads a blob into the spool; an expired one is a gap, anything else fails its window. */
    async download(type, blob, state) {
        try {
            const count = await this.options.source.fetchBlob(blob, (content) => {
                this.addRecords(type, blob, content, state);
                return content.records.count;
            });
            this.stats.blobsDownloaded++;
            this.stats.recordsReceived += count;
            state.records += count;
            await this.options.spool.spillIfFull();
            state.fetched.push({ contentId: blob.contentId, contentCreated: blob.contentCreated });
        }
        catch (error) {
            if (!(error instanceof ApiError && error.code === 'AF20051'))
                throw error;
            this.stats.blobsExpired++;
            state.expired.push({ contentId: blob.contentId, contentCreated: blob.contentCreated, message: error.message });
        }
    }
    addRecords(type, blob, content, state) {
        const { ledger, spool, encode, filter } = this.options;
        const placeUntimed = (id) => (state.untimed[id] ??=
            untimedPlacement(ledger, type, id) ??
                normalizeCreationTime(blob.contentCreated) ??
                formatInstant(this.options.now()));
        let kept = 0;
        for (const row of blobRows(content, placeUntimed, encode, filter)) {
            spool.add(type, dayOf(row.time), row);
            kept++;
        }
        this.stats.recordsFiltered += content.records.count - kept;
    }
    /** Records how a window ended, once its downloads have. */
    settle(window, state, failure) {
        if (!failure) {
            state.succeeded.push(window.range);
            return;
        }
        this.failures.push({
            type: window.type,
            retry: window.retry,
            start: window.range.start,
            end: window.range.end,
            ...failure
        });
        this.options.log?.(`${window.type} ${formatInstant(window.range.start)}..${formatInstant(window.range.end)} failed: ${failure.message}`);
    }
}
/**
 * The range a part of a plan listed for one content type: from its first planned window to
 * its last (retried windows of earlier runs do not count: coverage moves with the plan).
 */
function listedRange(windows, type) {
    const ranges = windows.filter((window) => window.type === type && !window.retry).map((window) => window.range);
    if (ranges.length === 0)
        return undefined;
    return {
        from: new Date(Math.min(...ranges.map((range) => range.start.getTime()))),
        to: new Date(Math.max(...ranges.map((range) => range.end.getTime())))
    };
}
function describeFailure(explained, original) {
    const code = original instanceof ApiError
        ? (original.code ?? (original.status ? `HTTP ${original.status}` : 'network'))
        : 'error';
    return { code, message: explained.message };
}

;// CONCATENATED MODULE: ./src/record/record-row.ts




/**
 * The snapshot row of a parsed AuditData object, as `importRecord` makes it: the one place
 * that turns a record which did not come in a Management API blob (a Purview export, a
 * Microsoft Graph audit log query) into a row, so each source lands a record the same way.
 */
function auditRecordRow(record, encode, keep) {
    if (keep && !keep.matches((field) => record_row_cell(record[field])))
        return { kind: 'filtered' };
    const time = normalizeCreationTime(record.CreationTime);
    if (!time) {
        const shown = record.CreationTime === undefined
            ? 'no CreationTime'
            : `CreationTime ${JSON.stringify(record.CreationTime).slice(0, 40)}, not a time`;
        return { kind: 'bad', reason: `AuditData has ${shown}` };
    }
    const id = recordId(record);
    const recordType = record_row_cell(record.RecordType);
    const type = contentTypeOf(record_row_cell(record.Workload), recordType === undefined ? undefined : parseRecordType(recordType));
    const columns = SCANNED_COLUMNS.slice(2).map((column) => record_row_cell(record[column]) ?? '');
    const payload = encode(utf8Fields([id, time, ...columns, JSON.stringify(record)]));
    return { kind: 'row', type, row: { time, id, payload } };
}
/** Where `utf8Fields` writes; the encoders copy what they are given into a buffer of their own. */
let scratch = Buffer.allocUnsafe(64 * 1024);
/**
 * Strings as UTF-8 views into one scratch buffer, good until the next call: a buffer per
 * field (two dozen a record) was a tenth of a Graph harvest's time.
 */
function utf8Fields(values) {
    let most = 0;
    for (const value of values)
        most += value.length * 3;
    if (most > scratch.length)
        scratch = Buffer.allocUnsafe(Math.max(most, scratch.length * 2));
    const fields = [];
    let offset = 0;
    for (const value of values) {
        const written = scratch.write(value, offset, 'utf8');
        fields.push(scratch.subarray(offset, offset + written));
        offset += written;
    }
    return fields;
}
/**
 * A top-level value as a snapshot column, as the blob reader writes it: a string as it is,
 * a number or boolean as JSON writes it, an object or array as its JSON, null as absent.
 */
function record_row_cell(value) {
    if (value === undefined || value === null)
        return undefined;
    if (typeof value === 'string')
        return value;
    return JSON.stringify(value);
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
;// CONCATENATED MODULE: ./src/util/ascii.ts
const NO_REFUSED = new Uint8Array(128);
/**
 * Writes `text` into `out` at `at` as bytes when every character is ASCII and none is in
 * `refused` (a 128-entry table, 1 = refused; none when left out); returns the new end,
 * or -1 (having written some of it) when one is not. For the short keys and times a run
 * writes for every row, a loop over char codes costs less than `Buffer#write` with an
 * encoding, a call into C++ (docs/benchmarks.md, "Copying bytes a word at a time").
 */
function writeAscii(out, at, text, refused = NO_REFUSED) {
    const length = text.length;
    for (let index = 0; index < length; index++) {
        const code = text.charCodeAt(index);
        if (code >= 0x80 || refused[code] === 1)
            return -1;
        out[at + index] = code;
    }
    return at + length;
}
/** A table for `writeAscii` refusing the given characters. */
function refusing(characters) {
    const table = new Uint8Array(128);
    for (const character of characters)
        table[character.charCodeAt(0)] = 1;
    return table;
}
/** Writes a CreationTime the caller normalised (`YYYY-MM-DDTHH:MM:SSZ`) at `at`; returns the new end. */
function writeCreationTime(out, at, time) {
    const end = writeAscii(out, at, time);
    if (end < 0)
        throw new Error(`A CreationTime to write is not normalised: '${time}'.`);
    return end;
}

;// CONCATENATED MODULE: ./src/record/keyed-row.ts
/** File order: by CreationTime, then Id. */
function compareRows(a, b) {
    if (a.time !== b.time)
        return a.time < b.time ? -1 : 1;
    if (a.id !== b.id)
        return a.id < b.id ? -1 : 1;
    return 0;
}
/**
 * Of two copies of one record (same time and Id), the one to keep: the smaller bytes, so
 * that the same records give the same file whichever copy a run happened to receive first.
 */
function preferredCopy(a, b) {
    return Buffer.compare(a.payload, b.payload) <= 0 ? a : b;
}

;// CONCATENATED MODULE: ./src/snapshot/sorted-merge.ts

/**
 * Merges sources that are each sorted by (time, Id) into one sorted stream, keeping one row
 * per (time, Id). Among copies, a source listed earlier wins (existing rows over new ones);
 * copies within the same source rank give way to `preferredCopy`. Sources and the result
 * are batches of rows, so that the merge runs synchronously between refills.
 *
 * A source may reuse a batch's memory once it is asked for the next one (the run files are
 * read through one buffer each): before the merge asks, it hands on every row it took from
 * that batch and copies the one it still holds back. Batches of the result are likewise only
 * good until the next one is asked for; a caller that keeps rows longer copies them.
 *
 * `onKept` is told of every row kept, with the index of the source it came from.
 */
async function* mergeSorted(sources, options = {}) {
    const rank = options.rank ?? ((source) => source);
    const batchRows = options.batchRows ?? 4_096;
    const cursors = sources.map((source, index) => ({
        index,
        iterator: source[Symbol.asyncIterator](),
        batch: [],
        at: 0,
        done: false
    }));
    try {
        await Promise.all(cursors.map(refill));
        const heap = new CursorHeap(cursors, rank);
        let out = [];
        // The row last kept: it goes into `out` once a row with another key follows, since a copy
        // of it from a better source, or a preferred copy, may still replace it.
        let kept;
        let keptSource = -1;
        while (heap.size > 0) {
            const top = heap.top();
            const row = top.batch[top.at++];
            if (kept && compareRows(kept, row) === 0) {
                if (rank(top.index) === rank(keptSource) && preferredCopy(kept, row) === row) {
                    kept = row;
                    keptSource = top.index;
                }
            }
            else {
                if (kept)
                    out.push(kept);
                if (out.length >= batchRows) {
                    yield out;
                    out = [];
                }
                kept = row;
                keptSource = top.index;
                options.onKept?.(top.index);
            }
            if (top.at >= top.batch.length) {
                if (out.length > 0) {
                    yield out;
                    out = [];
                }
                if (kept && keptSource === top.index)
                    kept = { time: kept.time, id: kept.id, payload: Buffer.from(kept.payload) };
                await refill(top);
                if (top.done)
                    heap.dropTop();
            }
            heap.siftDown(0);
        }
        if (kept)
            out.push(kept);
        if (out.length > 0)
            yield out;
    }
    finally {
        // However the merge ends (done, stopped early, a source failing), no source is left open:
        // a run file or a download each holds.
        const open = cursors.filter((cursor) => !cursor.done);
        await Promise.all(open.map(async (cursor) => cursor.iterator.return?.().catch(() => undefined)));
    }
}
/** Reads the source's next non-empty batch once the current one is used up, or marks it done. */
async function refill(cursor) {
    while (cursor.at >= cursor.batch.length && !cursor.done) {
        const next = await cursor.iterator.next();
        if (next.done)
            cursor.done = true;
        else {
            cursor.batch = next.value;
            cursor.at = 0;
        }
    }
}
/** A binary heap of the cursors that still hold rows, by their current row; among equal rows, the better-ranked source first. */
class CursorHeap {
    rank;
    heap;
    constructor(cursors, rank) {
        this.rank = rank;
        this.heap = cursors.filter((cursor) => !cursor.done);
        for (let at = Math.floor(this.heap.length / 2) - 1; at >= 0; at--)
            this.siftDown(at);
    }
    get size() {
        return this.heap.length;
    }
    top() {
        return this.heap[0];
    }
    /** Removes the top cursor: its source has ended. */
    dropTop() {
        const end = this.heap.pop();
        if (this.heap.length > 0)
            this.heap[0] = end;
    }
    /** Moves the cursor at `from` down to its place, after its current row changed. */
    siftDown(from) {
        const heap = this.heap;
        for (let at = from;;) {
            const left = 2 * at + 1;
            const right = left + 1;
            let smallest = at;
            if (left < heap.length && this.less(heap[left], heap[smallest]))
                smallest = left;
            if (right < heap.length && this.less(heap[right], heap[smallest]))
                smallest = right;
            if (smallest === at)
                return;
            [heap[at], heap[smallest]] = [heap[smallest], heap[at]];
            at = smallest;
        }
    }
    less(a, b) {
        const order = compareRows(a.batch[a.at], b.batch[b.at]);
        return order < 0 || (order === 0 && this.rank(a.index) < this.rank(b.index));
    }
}

;// CONCATENATED MODULE: ./src/snapshot/spool.ts





/**
 * Where a run keeps the rows it collects until they are merged into day files: in memory up
 * to a budget, then spilled to sorted run files under the run's temp folder. Memory stays
 * the same whatever a day holds; reading a day back merges its runs into one sorted stream.
 *
 * In memory a row is its bytes in a shared arena plus one string, its sort key: not an object
 * per row. Thousands of small objects that live until the next spill are what made V8 grow
 * its young generation to the maximum, tens of megabytes of memory for nothing.
 *
 * A run file is a sequence of frames: u32 length of the rest, u8 time length, u16 Id length,
 * the time, the Id, then the row's encoded bytes.
 */
class Spool {
    dir;
    memoryBytes;
    days = new Map();
    arena = [Buffer.allocUnsafe(ARENA_CHUNK_BYTES)];
    /**
     * Arena chunks whose rows were spilled, for the next rows: a fresh chunk per megabyte of
     * rows would add up to a day of allocations, and V8 answers a churn of outside memory with
     * full garbage collections.
     */
    spareChunks = [];
    writeChunk = Buffer.allocUnsafe(WRITE_CHUNK_BYTES);
    arenaUsed = 0;
    bufferedBytes = 0;
    runCount = 0;
    constructor(dir, memoryBytes) {
        this.dir = dir;
        this.memoryBytes = memoryBytes;
    }
    /** A spool in `dir` (created; removed again by `remove`) that holds `memoryBytes` before spilling. */
    static async create(dir, memoryBytes = DEFAULT_SPOOL_MEMORY_BYTES) {
        await (0,external_node_fs_promises_.mkdir)(dir, { recursive: true });
        return new Spool(dir, memoryBytes);
    }
    /**
     * Adds a row of a content type's day; its bytes are copied (the caller may reuse them).
     * Call `spillIfFull` after a batch of adds.
     */
    add(type, day, row) {
        let days = this.days.get(type);
        if (!days)
            this.days.set(type, (days = new Map()));
        let entry = days.get(day);
        if (!entry)
            days.set(day, (entry = { type, day, keys: [], places: [], lengths: [], runs: [], rows: 0, firstTime: row.time }));
        const size = row.payload.byteLength;
        let chunk = this.arena.at(-1);
        if (this.arenaUsed + size > chunk.length) {
            chunk =
                (size <= ARENA_CHUNK_BYTES && this.spareChunks.pop()) || Buffer.allocUnsafe(Math.max(ARENA_CHUNK_BYTES, size));
            this.arena.push(chunk);
            this.arenaUsed = 0;
        }
        row.payload.copy(chunk, this.arenaUsed);
        entry.keys.push(row.time + row.id);
        entry.places.push((this.arena.length - 1) * ARENA_CHUNK_BYTES + this.arenaUsed);
        entry.lengths.push(size);
        this.arenaUsed += size;
        entry.rows++;
        if (row.time < entry.firstTime)
            entry.firstTime = row.time;
        this.bufferedBytes += size + row.id.length + ROW_OVERHEAD_BYTES;
    }
    /** Writes the buffered rows to run files once they exceed the memory budget. */
    async spillIfFull() {
        if (this.bufferedBytes >= this.memoryBytes)
            await this.spill();
    }
    /** Writes every buffered row to run files, one sorted run per day, and empties the buffer. */
    async spill() {
        for (const entry of this.allDays()) {
            if (entry.keys.length === 0)
                continue;
            const path = (0,external_node_path_.join)(this.dir, `run-${++this.runCount}.bin`);
            writeRun(path, entry, sortedOrder(entry), this.arena, this.writeChunk);
            entry.runs.push(path);
            entry.keys = [];
            entry.places = [];
            entry.lengths = [];
        }
        this.spareChunks.push(...this.arena.filter((chunk) => chunk.length === ARENA_CHUNK_BYTES));
        this.arena = [this.spareChunks.pop() ?? Buffer.allocUnsafe(ARENA_CHUNK_BYTES)];
        this.arenaUsed = 0;
        this.bufferedBytes = 0;
    }
    /**
     * Takes every row of another spool, which is left empty: its buffered rows are spilled and
     * its run files moved into this spool's folder, so nothing is read or copied row by row.
     */
    async absorb(other) {
        await other.spill();
        for (const source of other.allDays()) {
            let days = this.days.get(source.type);
            if (!days)
                this.days.set(source.type, (days = new Map()));
            let entry = days.get(source.day);
            if (!entry)
                days.set(source.day, (entry = {
                    type: source.type,
                    day: source.day,
                    keys: [],
                    places: [],
                    lengths: [],
                    runs: [],
                    rows: 0,
                    firstTime: source.firstTime
                }));
            for (const run of source.runs) {
                const path = (0,external_node_path_.join)(this.dir, `run-${++this.runCount}.bin`);
                await (0,external_node_fs_promises_.rename)(run, path);
                entry.runs.push(path);
            }
            entry.rows += source.rows;
            if (source.firstTime < entry.firstTime)
                entry.firstTime = source.firstTime;
        }
        other.days.clear();
    }
    /** The days that hold rows, by content type then day. */
    entries() {
        return [...this.allDays()]
            .map(({ type, day, rows, firstTime }) => ({ type, day, rows, firstTime }))
            .sort((a, b) => (a.type === b.type ? (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) : a.type < b.type ? -1 : 1));
    }
    /** Rows held in all, counting copies. */
    get rows() {
        let rows = 0;
        for (const entry of this.allDays())
            rows += entry.rows;
        return rows;
    }
    /**
     * A day's rows, sorted, one per (time, Id): its run files merged, plus what is still in
     * memory. Can be read any number of times (a commit rebuilt on a moved branch reads again).
     * A batch is good until the next is asked for (see `mergeSorted`), and no rows may be added
     * while a day is read: a spill would hand the arena's chunks on.
     */
    read(type, day) {
        // Nothing is added while days are read: chunks kept for the next rows only add to the
        // peak of the merge that follows.
        this.spareChunks = [];
        const entry = this.days.get(type)?.get(day);
        if (!entry)
            return emptyRows();
        const sources = [...entry.runs.map((path) => readRun(path)), oneBatch(this.bufferedRows(entry))];
        return mergeSorted(sources, { rank: () => 0 });
    }
    /** Deletes the spool's folder and everything in it. */
    async remove() {
        this.days.clear();
        this.arena = [];
        this.spareChunks = [];
        await (0,external_node_fs_promises_.rm)(this.dir, { recursive: true, force: true });
    }
    *allDays() {
        for (const days of this.days.values())
            yield* days.values();
    }
    /** A day's rows still in memory, as rows, in file order. */
    bufferedRows(entry) {
        const arena = this.arena;
        return sortedOrder(entry).map((index) => {
            const key = entry.keys[index];
            const place = entry.places[index];
            const chunk = arena[Math.floor(place / ARENA_CHUNK_BYTES)];
            const offset = place % ARENA_CHUNK_BYTES;
            return {
                time: key.slice(0, TIME_LENGTH),
                id: key.slice(TIME_LENGTH),
                payload: chunk.subarray(offset, offset + entry.lengths[index])
            };
        });
    }
}
/**
 * The indices of a day's buffered rows in file order: by time, then Id. The rows of a day
 * differ in time by their seconds of the day, so a typed array of (second, index) pairs sorts
 * them natively, and only rows of the same second are compared by Id: a comparator over the
 * key strings cost several times as much (docs/benchmarks.md, "Sorting a spill").
 */
function sortedOrder(entry) {
    const { keys } = entry;
    const count = keys.length;
    const byKey = (a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0);
    if (count >= INDEX_SPAN)
        return keys.map((_, index) => index).sort(byKey);
    const packed = new Float64Array(count);
    for (let index = 0; index < count; index++)
        packed[index] = secondOfDay(keys[index]) * INDEX_SPAN + index;
    packed.sort();
    const order = new Array(count);
    for (let at = 0; at < count; at++)
        order[at] = packed[at] % INDEX_SPAN;
    for (let start = 0; start < count;) {
        const second = Math.floor(packed[start] / INDEX_SPAN);
        let end = start + 1;
        while (end < count && Math.floor(packed[end] / INDEX_SPAN) === second)
            end++;
        if (end - start > 1) {
            const same = order.slice(start, end).sort(byKey);
            for (let at = start; at < end; at++)
                order[at] = same[at - start];
        }
        start = end;
    }
    return order;
}
/** Room for the index beside the second in a packed sort key (a spill holds far fewer rows). */
const INDEX_SPAN = 2 ** 20;
/** The second of the day of a key starting `YYYY-MM-DDTHH:MM:SS`. */
function secondOfDay(key) {
    const digit = (at) => key.charCodeAt(at) - 48;
    return (10 * digit(11) + digit(12)) * 3600 + (10 * digit(14) + digit(15)) * 60 + 10 * digit(17) + digit(18);
}
const TIME_LENGTH = 'YYYY-MM-DDTHH:MM:SSZ'.length;
const ARENA_CHUNK_BYTES = 1024 * 1024;
/** What a run holds in memory before it spills (the rows and their overhead). */
const DEFAULT_SPOOL_MEMORY_BYTES = 16 * 1024 * 1024;
/** Roughly what a buffered row costs beyond its bytes (the object, its strings, the array slot). */
const ROW_OVERHEAD_BYTES = 160;
const WRITE_CHUNK_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 256 * 1024;
/**
 * Writes rows as a run file, synchronously: written a megabyte per event-loop turn, behind
 * downloads that keep the loop busy, a spill took as long as the next 16 MB took to arrive,
 * and the spills of several arenas overlapped in memory.
 */
function writeRun(path, entry, order, arena, chunk) {
    const fd = (0,external_node_fs_.openSync)(path, 'w');
    try {
        let used = 0;
        for (const index of order) {
            // The key is the time (20 ASCII characters) then the Id (UTF-8: at most three bytes a
            // character), written at once, no slices.
            const key = entry.keys[index];
            const size = entry.lengths[index];
            const largest = 7 + 3 * key.length + size;
            if (used + 4 + largest > chunk.length) {
                if (used > 0)
                    (0,external_node_fs_.writeSync)(fd, chunk, 0, used);
                used = 0;
                if (4 + largest > chunk.length)
                    chunk = Buffer.allocUnsafe(4 + largest);
            }
            const keyStart = used + 7;
            let keyEnd = writeAscii(chunk, keyStart, key);
            if (keyEnd < 0)
                keyEnd = keyStart + chunk.write(key, keyStart, 'utf8');
            const keyLength = keyEnd - keyStart;
            chunk.writeUInt32LE(3 + keyLength + size, used);
            chunk.writeUInt8(TIME_LENGTH, used + 4);
            chunk.writeUInt16LE(keyLength - TIME_LENGTH, used + 5);
            used = keyEnd;
            const place = entry.places[index];
            const offset = place % ARENA_CHUNK_BYTES;
            used += arena[Math.floor(place / ARENA_CHUNK_BYTES)].copy(chunk, used, offset, offset + size);
        }
        if (used > 0)
            (0,external_node_fs_.writeSync)(fd, chunk, 0, used);
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
}
/**
 * A run file's rows in batches, read through one buffer: a batch's rows point into it, and
 * it is filled again once the next batch is asked for (see `mergeSorted`).
 */
async function* readRun(path) {
    const file = await (0,external_node_fs_promises_.open)(path, 'r');
    try {
        let buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
        let held = 0;
        for (;;) {
            const { bytesRead } = await file.read(buffer, held, buffer.length - held, null);
            if (bytesRead === 0)
                break;
            const end = held + bytesRead;
            const rows = [];
            let offset = 0;
            while (offset + 4 <= end) {
                const frame = buffer.readUInt32LE(offset);
                if (offset + 4 + frame > end)
                    break;
                const timeLength = buffer.readUInt8(offset + 4);
                const idLength = buffer.readUInt16LE(offset + 5);
                const timeStart = offset + 7;
                const idStart = timeStart + timeLength;
                const payloadStart = idStart + idLength;
                rows.push({
                    time: buffer.toString('latin1', timeStart, idStart),
                    id: buffer.toString('utf8', idStart, payloadStart),
                    payload: buffer.subarray(payloadStart, offset + 4 + frame)
                });
                offset += 4 + frame;
            }
            if (rows.length > 0)
                yield rows;
            // The rest is the start of a frame: keep it at the front, in a larger buffer if the
            // frame does not fit this one.
            held = end - offset;
            const needed = held >= 4 ? 4 + buffer.readUInt32LE(offset) : 0;
            if (needed > buffer.length) {
                const larger = Buffer.allocUnsafe(Math.max(needed, 2 * buffer.length));
                buffer.copy(larger, 0, offset, end);
                buffer = larger;
            }
            else {
                buffer.copy(buffer, 0, offset, end);
            }
        }
        if (held > 0)
            throw new Error(`The spool file ${path} ends inside a row; it was changed while the run used it.`);
    }
    finally {
        await file.close();
    }
}
async function* oneBatch(rows) {
    if (rows.length > 0)
        yield rows;
}
async function* emptyRows() { }

;// CONCATENATED MODULE: ./src/graph/graph-record.ts
/**
 * The Management Activity API's AuditData from a Microsoft Graph `auditLogRecord`
 * (https://learn.microsoft.com/graph/api/resources/security-auditlogrecord), or why there is
 * none. Graph carries the same record in `auditData`, with three differences this undoes:
 *
 * - OData annotations: an `@odata.type` key on the object and on nested objects, and a
 *   `<Property>@odata.type` key beside typed values (`"RecordType@odata.type": "#Int64"`),
 *   at any depth. The Management API has none.
 * - `CreationTime` ends in `Z`; the Management API writes it without a zone (it is UTC).
 * - The envelope's own fields are not the record's: its `userId` is the record's `UserKey`,
 *   its `userPrincipalName` the record's `UserId`, its `clientIp` is null. So nothing is
 *   taken from the envelope: `auditData` holds every field with the Management API's name.
 */
function auditDataOf(graphRecord) {
    if (!isObject(graphRecord))
        return { bad: 'the record is not a JSON object' };
    const auditData = graphRecord['auditData'];
    if (!isObject(auditData))
        return { bad: `record ${describeId(graphRecord['id'])} has no auditData object` };
    const record = withoutAnnotations(auditData);
    const time = record['CreationTime'];
    if (typeof time === 'string' && ZONED_UTC.test(time))
        record['CreationTime'] = time.slice(0, -1);
    return { record };
}
/** A UTC time as Graph writes it: the Management API's form with a `Z`. */
const ZONED_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
function withoutAnnotations(value) {
    if (typeof value !== 'object' || value === null)
        return value;
    if (Array.isArray(value))
        return value.map(withoutAnnotations);
    const result = {};
    const source = value;
    for (const key in source) {
        if (key.endsWith('@odata.type'))
            continue;
        result[key] = withoutAnnotations(source[key]);
    }
    return result;
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function describeId(id) {
    return typeof id === 'string' ? JSON.stringify(id.slice(0, 64)) : 'without an id';
}

;// CONCATENATED MODULE: ./src/record/time-range.ts
/** Whether two ranges are the same span. */
function sameRange(a, b) {
    return a.start.getTime() === b.start.getTime() && a.end.getTime() === b.end.getTime();
}

;// CONCATENATED MODULE: ./src/graph/query-runner.ts







const DEFAULT_QUERY_LIMITS = {
    inFlight: 2,
    submissionsPerRun: 50,
    waitMs: 60 * 60_000,
    firstPollMs: 5_000,
    maxPollMs: 120_000,
    resubmissions: 2
};
/** Refusals of new queries in a row after which a run with nothing running stops waiting. */
const MAX_REFUSALS_IN_A_ROW = 3;
/** How long Purview keeps a query (https://learn.microsoft.com/purview/audit-new-search). */
const QUERY_KEPT_MS = 30 * DAY_MS;
/**
 * Runs the Graph audit log queries of a run: adopts the queries earlier runs left, finds a
 * running query of ours whose id was lost (by its display name), submits the windows still
 * wanted within the bounds, polls with backoff, harvests what succeeded, halves a window
 * that hit the record-count limit, submits a failed or cancelled query again (bounded), and
 * stops waiting at `waitMs`, handing back what still runs and what it did not submit.
 */
async function runAuditQueries(input) {
    return new QueryRun(input).run();
}
class QueryRun {
    input;
    result = {
        collected: [],
        failed: [],
        pending: [],
        deferred: [],
        submitted: 0,
        throttled: 0
    };
    running = [];
    waiting = [];
    started;
    log;
    /** Until when Graph takes no new query (it throttled, or a submission's outcome was unclear). */
    refusingUntil = 0;
    /** Refusals of new queries in a row. */
    refusals = 0;
    constructor(input) {
        this.input = input;
        this.started = input.now().getTime();
        this.log = input.log ?? (() => { });
    }
    async run() {
        const { input, running, waiting, result } = this;
        for (const query of input.pending) {
            const window = toRange(query);
            if (Date.parse(query.submitted) + QUERY_KEPT_MS <= this.started) {
                this.log(`Audit log query ${query.id} for ${formatRange(window)} is older than Purview keeps queries; querying again.`);
                waiting.push({ ...window, resubmitted: query.resubmitted, final: query.final ?? false });
            }
            else {
                // Queries of earlier runs may have finished long ago: polled at once.
                running.push(track(query, this.started, input.limits.firstPollMs));
            }
        }
        const wanted = input.windows.filter((window) => !this.covers(window));
        if (wanted.length > 0 && input.limits.submissionsPerRun > 0)
            await this.adoptLost(wanted);
        for (const window of input.windows)
            if (!this.covers(window))
                waiting.push({
                    start: window.start,
                    end: window.end,
                    resubmitted: window.resubmitted ?? 0,
                    final: window.final ?? false
                });
        while (running.length > 0 || waiting.length > 0) {
            await this.submitWhatFits();
            // Nothing of ours runs: what waits is the next run's when the cap is reached, or when
            // Graph kept refusing new queries (the day's allowance is likely spent).
            if (running.length === 0 && !this.mayWaitOutRefusal())
                break;
            if (this.input.now().getTime() - this.started >= input.limits.waitMs)
                break;
            const due = running.filter((tracked) => tracked.nextPollAt <= input.now().getTime());
            if (due.length > 0) {
                for (const tracked of due)
                    await this.poll(tracked);
                continue;
            }
            const maySubmit = waiting.length > 0 && running.length < input.limits.inFlight && !this.capReached();
            const wake = Math.min(...running.map((tracked) => tracked.nextPollAt), maySubmit ? this.refusingUntil : Infinity, this.started + input.limits.waitMs);
            // At least a millisecond: time moves on each turn, so the deadline ends any loop.
            await input.sleep(Math.max(1, wake - input.now().getTime()));
        }
        result.pending = running.map((tracked) => tracked.query);
        result.deferred = waiting.map(({ final, ...entry }) => ({ ...entry, ...(final ? { final } : {}) }));
        return result;
    }
    /**
     * A query a run submitted and stopped before saving: found by its name and adopted while it
     * runs. A finished one is not taken: the window is wanted again because it was not settled,
     * and an old answer would hold none of what arrived since.
     */
    async adoptLost(wanted) {
        for (const query of await this.listQueries()) {
            const window = windowOfDisplayName(query.displayName, this.input.filters);
            if (!window || !wanted.some((entry) => sameRange(entry, window)) || this.covers(window))
                continue;
            if (query.status !== 'notStarted' && query.status !== 'running')
                continue;
            this.running.push(track(this.pendingOf(query.id, window, { resubmitted: 0, foundByName: true }), this.started, this.input.limits.firstPollMs));
            this.log(`Adopted audit log query ${query.id} for ${formatRange(window)}, submitted by an earlier run.`);
        }
    }
    /** Submits waiting windows while there is room, the run's cap allows and Graph takes queries. */
    async submitWhatFits() {
        const { input, running, waiting, result } = this;
        while (waiting.length > 0 &&
            running.length < input.limits.inFlight &&
            !this.capReached() &&
            input.now().getTime() >= this.refusingUntil) {
            const next = waiting[0];
            let query;
            let foundByName = false;
            try {
                query = await input.api.submit(next, input.filters);
            }
            catch (error) {
                // A refusal that says what is wrong (permission, auditing off, a bad window) stops the run.
                if (!(error instanceof ApiError) || !(error.status === 429 || error.retryable))
                    throw error;
                if (error.status === 429)
                    result.throttled++;
                else {
                    query = await this.submittedAnyway(next, error);
                    foundByName = query !== undefined;
                }
                if (!query) {
                    // Without Retry-After: 1/4 of the longest poll, doubling (30 s, 1 min, 2 min by default).
                    const backoff = Math.min(input.limits.maxPollMs, (input.limits.maxPollMs / 4) * 2 ** this.refusals);
                    this.refusals++;
                    this.refusingUntil = input.now().getTime() + (error.retryAfterMs ?? backoff);
                    this.log(`Graph took no new query for now (${errorMessage(error)}); the queries running go on.`);
                    return;
                }
            }
            waiting.shift();
            this.refusals = 0;
            result.submitted++;
            running.push(track(this.pendingOf(query.id, next, {
                resubmitted: next.resubmitted,
                final: next.final,
                foundByName
            }), input.now().getTime() + input.limits.firstPollMs, input.limits.firstPollMs));
            this.log(`Submitted audit log query ${query.id} for ${formatRange(next)}.`);
        }
    }
    /**
     * After a submission whose answer was lost (a dropped connection, a 5xx, a body that did not
     * parse), the query may exist all the same: looked up by its name before the window is
     * submitted again, so the tenant's allowance is not spent twice.
     */
    async submittedAnyway(window, error) {
        this.log(`Submitting the audit log query for ${formatRange(window)} failed (${errorMessage(error)}); looking for it.`);
        return (await this.listQueries()).find((query) => {
            const named = windowOfDisplayName(query.displayName, this.input.filters);
            // Only a query still running: a finished one is an earlier run's answer, without what arrived since.
            return (named !== undefined && sameRange(named, window) && (query.status === 'notStarted' || query.status === 'running'));
        });
    }
    async listQueries() {
        try {
            return await this.input.api.list();
        }
        catch (error) {
            // A sign-in that fails is not a listing that failed: it stops the run.
            if (!(error instanceof ApiError))
                throw error;
            this.log(`Could not list the audit log queries to find ones already submitted: ${errorMessage(error)}`);
            return [];
        }
    }
    async poll(tracked) {
        const { input } = this;
        let query;
        try {
            query = await input.api.status(tracked.query.id);
        }
        catch (error) {
            // A sign-in that fails is no answer about the query: it stops the run.
            if (!(error instanceof ApiError))
                throw error;
            if (!error.retryable) {
                // Gone (deleted, expired) or refused: its window is queried again.
                this.running.splice(this.running.indexOf(tracked), 1);
                this.waiting.push({
                    ...tracked.window,
                    resubmitted: tracked.query.resubmitted,
                    final: tracked.query.final ?? false
                });
                this.log(`Audit log query ${tracked.query.id} cannot be read (${errorMessage(error)}); querying its window again.`);
                return;
            }
            // The query runs on whatever a poll met: polled again later, or adopted by the next run.
            this.log(`Could not read the status of audit log query ${tracked.query.id}: ${errorMessage(error)}`);
            backOff(tracked, input.now().getTime(), input.limits);
            return;
        }
        if (query.status === 'notStarted' || query.status === 'running' || query.status === 'unknownFutureValue') {
            backOff(tracked, input.now().getTime(), input.limits);
            return;
        }
        this.running.splice(this.running.indexOf(tracked), 1);
        await this.finished(tracked, query);
    }
    async finished(tracked, query) {
        const { window } = tracked;
        const { result, input, waiting } = this;
        if (query.status === 'failed' || query.status === 'cancelled') {
            if (!tracked.query.final && tracked.query.resubmitted < input.limits.resubmissions) {
                waiting.unshift({ ...window, resubmitted: tracked.query.resubmitted + 1, final: false });
                this.log(`Audit log query ${query.id} for ${formatRange(window)} ended ${query.status}; submitting it again.`);
            }
            else {
                // A window that failed in an earlier run is tried once a run: it does not spend the allowance again and again.
                const reason = tracked.query.final
                    ? `its Graph audit log query ended ${query.status} again`
                    : `its Graph audit log query ended ${query.status} ${tracked.query.resubmitted + 1} times`;
                result.failed.push({ window, code: query.status === 'failed' ? 'QueryFailed' : 'QueryCancelled', reason });
            }
            return;
        }
        if (query.recordCountLimitExceeded) {
            const halves = halveQueryWindow(window);
            if (halves) {
                // A half already running or waiting (a window an earlier run split) is not queued twice.
                waiting.unshift(...halves.filter((half) => !this.covers(half)).map((half) => ({ ...half, resubmitted: 0, final: false })));
                this.log(`Audit log query ${query.id} for ${formatRange(window)} hit its record-count limit; querying it in halves.`);
            }
            else {
                result.failed.push({
                    window,
                    code: 'RecordCountLimitExceeded',
                    reason: 'an hour of it holds more records than a Graph audit log query returns'
                });
            }
            return;
        }
        try {
            await input.harvest(window, input.api.records(query.id));
            result.collected.push({
                ...window,
                submitted: new Date(tracked.query.submitted),
                foundByName: tracked.query.foundByName ?? false,
                ...(tracked.query.selection === undefined ? {} : { selection: tracked.query.selection })
            });
        }
        catch (error) {
            result.failed.push({
                window,
                code: 'RecordsUnreadable',
                reason: `reading its records failed: ${errorMessage(error)}`
            });
        }
    }
    /**
     * Whether a run with nothing running waits for Graph to take queries again: after a refusal
     * or two (too many queries at once: Purview's users share them), but not a third in a row,
     * nor past the run's wait.
     */
    mayWaitOutRefusal() {
        const { input } = this;
        return (this.waiting.length > 0 &&
            !this.capReached() &&
            this.refusals > 0 &&
            this.refusals < MAX_REFUSALS_IN_A_ROW &&
            this.refusingUntil < this.started + input.limits.waitMs);
    }
    capReached() {
        return this.result.submitted >= this.input.limits.submissionsPerRun;
    }
    covers(window) {
        return (this.running.some((tracked) => sameRange(tracked.window, window)) ||
            this.waiting.some((entry) => sameRange(entry, window)));
    }
    pendingOf(id, window, retry) {
        return {
            id,
            start: formatInstant(window.start),
            end: formatInstant(window.end),
            submitted: formatInstant(this.input.now()),
            resubmitted: retry.resubmitted,
            ...(retry.final ? { final: true } : {}),
            ...(retry.foundByName ? { foundByName: true } : {})
        };
    }
}
function track(query, firstPollAt, pollDelay) {
    return { query, window: toRange(query), nextPollAt: firstPollAt, pollDelay };
}
function backOff(tracked, now, limits) {
    tracked.nextPollAt = now + tracked.pollDelay;
    tracked.pollDelay = Math.min(limits.maxPollMs, tracked.pollDelay * 2);
}

;// CONCATENATED MODULE: ./src/graph/graph-collect.ts








/**
 * Runs a run's Graph audit log queries and puts what they return into the spool: each record
 * normalised to the Management API's AuditData, made into a row as imports are, kept when its
 * content type was asked for and the filters take it. A window's rows wait in a spool of their
 * own until its last page was read, so a window whose pages fail adds nothing and is queried
 * again; returns the ledger's update.
 */
async function collectFromGraph(options) {
    const stats = {
        submitted: 0,
        throttled: 0,
        collected: 0,
        settled: 0,
        failed: 0,
        pending: 0,
        queued: 0,
        records: 0,
        skipped: 0,
        bad: 0,
        recordsByType: {}
    };
    const wanted = new Set(options.contentTypes);
    let staged = 0;
    const harvest = async (window, pages) => {
        const staging = await Spool.create((0,external_node_path_.join)(options.scratch, `graph-window-${++staged}`));
        try {
            const counts = { records: 0, skipped: 0, bad: 0, byType: new Map() };
            for await (const page of pages) {
                for (const value of page) {
                    const audit = auditDataOf(value);
                    const outcome = 'bad' in audit ? audit : auditRecordRow(audit.record, options.encode, options.filter);
                    if ('bad' in outcome || outcome.kind === 'bad') {
                        counts.bad++;
                        continue;
                    }
                    if (outcome.kind === 'filtered' || !wanted.has(outcome.type)) {
                        counts.skipped++;
                        continue;
                    }
                    staging.add(outcome.type, dayOf(outcome.row.time), outcome.row);
                    counts.records++;
                    counts.byType.set(outcome.type, (counts.byType.get(outcome.type) ?? 0) + 1);
                }
                await staging.spillIfFull();
            }
            // Whole: the window's rows join the pass's spool as they are, run files and all.
            await options.spool.absorb(staging);
            stats.records += counts.records;
            stats.skipped += counts.skipped;
            stats.bad += counts.bad;
            for (const [type, count] of counts.byType)
                stats.recordsByType[type] = (stats.recordsByType[type] ?? 0) + count;
            options.log(`Audit log query for ${formatRange(window)}: ${counts.records} records kept` +
                `${counts.skipped > 0 ? `, ${counts.skipped} of other content types or left out by the filters` : ''}` +
                `${counts.bad > 0 ? `, ${counts.bad} without an auditData object or a readable CreationTime (not kept)` : ''}.`);
        }
        finally {
            await staging.remove();
        }
    };
    const result = await runAuditQueries({
        windows: options.plan.windows,
        pending: options.plan.pending,
        filters: options.queryFilters,
        api: options.api,
        limits: options.limits,
        now: options.now,
        sleep: options.sleep,
        harvest,
        log: options.log
    });
    // A query found by its name has no known submission time, and one an earlier run submitted
    // for other content types or filters may hold less than asked for now: what they returned is
    // looked at again once settled.
    const collected = result.collected.map((window) => ({
        start: window.start,
        end: window.end,
        settled: !window.foundByName &&
            (window.selection ?? options.selection) === options.selection &&
            isQueryWindowSettled(window, window.submitted, options.settleMs)
    }));
    Object.assign(stats, {
        submitted: result.submitted,
        throttled: result.throttled,
        collected: collected.length,
        settled: collected.filter((window) => window.settled).length,
        failed: result.failed.length,
        pending: result.pending.length,
        queued: result.deferred.length
    });
    return {
        update: {
            selection: options.selection,
            collected,
            failed: result.failed,
            pending: result.pending.map((query) => ({ ...query, selection: query.selection ?? options.selection })),
            queued: result.deferred,
            submitted: result.submitted
        },
        stats
    };
}

;// CONCATENATED MODULE: ./src/graph/graph-plan.ts







/**
 * What a run harvests for, as the ledger remembers it: the content types kept and the
 * filters. A window collected for one selection is not collected for another (a user who adds
 * a content type or drops a filter gets those records queried).
 */
function selectionOf(contentTypes, filter) {
    return sha256Prefix(JSON.stringify([[...contentTypes].sort(), filterDigest(filter)]), 6, 'hex');
}
/**
 * Plans a run's Graph queries from the ledger. First what earlier runs left: windows waiting
 * to be submitted, windows harvested before they settled (once they have, a UTC day at a
 * time), and windows that failed (each tried once a run, less often as its failures add up,
 * only where nothing else covers it). Then one window per UTC day of what the inputs ask for
 * that nothing collected, harvested, running or carried covers. A scheduled run (`source:
 * graph`) asks for its look-back and everything since the last window it harvested.
 */
function planGraphQueries(asked, ledger, context) {
    const now = floorToMinute(context.now);
    const mine = (ranges) => (ranges ?? []).filter((range) => range.selection === context.selection).map(toRange);
    const collected = mine(ledger?.collected);
    const unsettled = mine(ledger?.unsettled);
    const pending = ledger?.pending ?? [];
    const running = pending.map(toRange);
    const queued = (ledger?.queued ?? [])
        .map((entry) => ({ ...toRange(entry), ...retryOf(entry) }))
        .filter((window) => uncoveredParts(window, [...collected, ...running]).length > 0)
        .filter((window, index, all) => all.findIndex((other) => sameRange(other, window)) === index);
    const due = mergeRanges(unsettled
        .filter((window) => isQueryWindowSettled(window, now, context.settleMs))
        .map((window) => ({ start: window.start.toISOString(), end: window.end.toISOString() })))
        .map(toRange)
        .flatMap((range) => uncoveredParts(range, [...running, ...queued]))
        .flatMap(dailyQueryWindows);
    const taken = [...collected, ...unsettled, ...running, ...queued, ...due];
    const failures = (ledger?.failed ?? []).map((failure) => ({ failure, window: toRange(failure) }));
    const failed = failures
        .filter(({ failure }) => retryIsDue(failure, context.now))
        .flatMap(({ window }) => uncoveredParts(window, taken))
        .map((window) => ({ ...window, final: true }));
    const carried = [...queued, ...due, ...failed].sort((a, b) => a.start.getTime() - b.start.getTime());
    const range = askedRange(asked, [...collected, ...unsettled], now);
    // A failed window waiting out its backoff is not asked for again as a fresh one either.
    const fresh = range
        ? uncoveredParts(range, [...taken, ...failures.map(({ window }) => window)]).flatMap(dailyQueryWindows)
        : [];
    return { windows: [...carried, ...fresh], pending: [...pending], range, carried: carried.length };
}
/**
 * Whether a window that failed is tried again now: the next run after one failure, then after
 * as many hours as it failed times, a day at most. A window that fails for good (an hour over
 * the record-count limit) costs a query a day, not one a run.
 */
function retryIsDue(failure, now) {
    const last = Date.parse(failure.lastFailure);
    if (!Number.isFinite(last) || failure.attempts <= 1)
        return true;
    return now.getTime() - last >= Math.min(failure.attempts - 1, 24) * HOUR_MS;
}
function askedRange(asked, harvested, now) {
    if (!asked)
        return undefined;
    if (asked.kind === 'range') {
        const end = asked.range.end < now ? asked.range.end : now;
        return asked.range.start < end ? { start: asked.range.start, end } : undefined;
    }
    const lookbackStart = now.getTime() - asked.lookbackMs;
    const lastHarvested = Math.max(...harvested.map((window) => window.end.getTime()), -Infinity);
    return {
        start: new Date(Math.min(lookbackStart, Number.isFinite(lastHarvested) ? lastHarvested : lookbackStart)),
        end: now
    };
}
function retryOf(entry) {
    return {
        ...(entry.resubmitted ? { resubmitted: entry.resubmitted } : {}),
        ...(entry.final ? { final: true } : {})
    };
}

;// CONCATENATED MODULE: ./src/branch/coverage-chart.ts

const BAR = 14;
const GAP = 2;
const ROW_HEIGHT = 64;
const LEFT = 190;
const TOP = 28;
/**
 * A bar chart: a row per content type, a bar per day scaled to that type's busiest day, a red
 * mark under days with a failing window and a grey one under days with a gap. Plain SVG that
 * GitHub shows in a README, no script or external font.
 */
function renderCoverageSvg(types) {
    const days = types[0]?.days.length ?? 0;
    const width = LEFT + days * (BAR + GAP) + 10;
    const height = TOP + Math.max(1, types.length) * ROW_HEIGHT + 24;
    const parts = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
        `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
        `<text x="8" y="17" font-size="13" font-weight="bold" fill="#24292f">Records per UTC day${days > 0 ? `, ${types[0].days[0].day} to ${types[0].days.at(-1).day}` : ''}</text>`
    ];
    types.forEach((entry, row) => {
        const base = TOP + row * ROW_HEIGHT;
        const busiest = Math.max(1, ...entry.days.map((day) => day.records));
        const total = entry.days.reduce((sum, day) => sum + day.records, 0);
        parts.push(`<text x="8" y="${base + 26}" fill="#24292f">${entry.type}</text>`);
        parts.push(`<text x="8" y="${base + 41}" fill="#57606a">${countText(total)} records, max ${countText(busiest)}/day</text>`);
        entry.days.forEach((day, index) => {
            const x = LEFT + index * (BAR + GAP);
            const barHeight = day.records === 0 ? 0 : Math.max(1, Math.round((day.records / busiest) * (ROW_HEIGHT - 20)));
            const y = base + ROW_HEIGHT - 14 - barHeight;
            parts.push(`<rect x="${x}" y="${y}" width="${BAR}" height="${barHeight}" fill="#2da44e"><title>${entry.type} ${day.day}: ${day.records} records</title></rect>`);
            if (day.failedWindows > 0)
                parts.push(`<rect x="${x}" y="${base + ROW_HEIGHT - 11}" width="${BAR}" height="5" fill="#cf222e"><title>${day.day}: ${day.failedWindows} failing window(s)</title></rect>`);
            if (day.gaps > 0)
                parts.push(`<rect x="${x}" y="${base + ROW_HEIGHT - 5}" width="${BAR}" height="4" fill="#8c959f"><title>${day.day}: ${day.gaps} gap(s)</title></rect>`);
        });
    });
    const axis = TOP + Math.max(1, types.length) * ROW_HEIGHT + 14;
    types[0]?.days.forEach((day, index) => {
        if (index % 7 === 0 || index === days - 1)
            parts.push(`<text x="${LEFT + index * (BAR + GAP)}" y="${axis}" fill="#57606a">${day.day.slice(5)}</text>`);
    });
    parts.push('</svg>');
    return `${parts.join('\n')}\n`;
}

;// CONCATENATED MODULE: ./src/branch/manifest.ts
/**
 * Reads manifest.json, keeping only entries that read as entries. What is missing (a broken
 * or lost manifest, an entry edited by hand) is derived data: the commit describes those
 * files again from the files themselves (describe-day-file.ts).
 */
function parseManifest(text) {
    const manifest = { version: 1, files: {} };
    if (!text)
        return manifest;
    let value;
    try {
        value = JSON.parse(text);
    }
    catch {
        return manifest;
    }
    if (value?.version !== 1 || !value.files || typeof value.files !== 'object')
        return manifest;
    for (const [path, entry] of Object.entries(value.files))
        if (isEntry(entry))
            manifest.files[path] = { ...entry };
    return manifest;
}
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
function isEntry(entry) {
    const candidate = entry;
    return (typeof candidate === 'object' &&
        candidate !== null &&
        (candidate.format === undefined || candidate.format === 'csv' || candidate.format === 'parquet') &&
        Number.isSafeInteger(candidate.rows) &&
        Number.isSafeInteger(candidate.bytes) &&
        typeof candidate.sha256 === 'string' &&
        /^[0-9a-f]{64}$/.test(candidate.sha256) &&
        typeof candidate.firstCreationTime === 'string' &&
        TIME.test(candidate.firstCreationTime) &&
        typeof candidate.lastCreationTime === 'string' &&
        TIME.test(candidate.lastCreationTime));
}
/** The manifest as stable text, paths sorted. */
function renderManifest(manifest) {
    const files = {};
    for (const path of Object.keys(manifest.files).sort()) {
        const entry = manifest.files[path];
        if (entry)
            files[path] = entry;
    }
    return `${JSON.stringify({ version: 1, files }, null, 2)}\n`;
}

;// CONCATENATED MODULE: ./src/branch/readme.ts



/** The title line every README.md this action generated starts with (before the marker existed too). */
const TITLE = '# Microsoft 365 audit log snapshots';
/** Days of coverage the branch README and its chart show. */
const BRANCH_COVERAGE_DAYS = 30;
/**
 * Whether the branch's README.md is the one this action writes (or there is none yet): a
 * README someone else put on the branch is never overwritten.
 */
function isGeneratedBranchReadme(text) {
    return text === undefined || text.startsWith(TITLE);
}
/**
 * README.md of the data branch: what is where, how to read it, and the coverage of the last
 * 30 days as a table and a chart (COVERAGE_CHART_PATH, beside it). It changes with the data,
 * so it is rewritten only in commits that change something else anyway: it never causes a
 * commit by itself.
 */
function renderBranchReadme(branch, coverage) {
    const days = coverage[0]?.days ?? [];
    const span = days.length > 0 ? ` (${days[0].day} to ${days.at(-1).day})` : '';
    return `${TITLE}

This branch is written by the m365-audit-sync GitHub Action and holds Microsoft 365 audit
records from the Office 365 Management Activity API, one file per content type and UTC day.
Do not edit it by hand: runs add files beside a day's files and compact the day when it
settles.

## Coverage, last ${BRANCH_COVERAGE_DAYS} days${span}

Records per content type and UTC day as of the last commit that changed data, with the days
where a listing window still fails (red) or content can no longer be collected (grey).

![Records per UTC day, last ${BRANCH_COVERAGE_DAYS} days](${COVERAGE_CHART_PATH})

${renderCoverageTable(coverage)}
## Layout

\`\`\`
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.csv      records whose CreationTime falls on that UTC day (format: csv)
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.<n>.csv  part n of a day too large for one file (at most 32 MB each)
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.added-<n>.csv  rows a later run added to the day, until it settles
audit/<ContentType>/<YYYY>/<MM>/<YYYY-MM-DD>.parquet  the same, as Parquet (format: parquet; .<n>.parquet, .added-<n>.parquet)
usage/power-apps/<YYYY>/<MM>/<YYYY-MM-DD>.csv        Power Apps launches and unique users per app, environment and UTC day
${COVERAGE_CHART_PATH}                                         the chart above: records per content type and day, last ${BRANCH_COVERAGE_DAYS} days
state/                                               the action's state: ledger.json (coverage, downloaded blobs), keys/ and usage/ (of days that can still grow)
manifest.json                                        every audit file: format, rows, bytes, sha256, first/last CreationTime
\`\`\`

A day is all of its files: each record is in exactly one of them (de-duplicated by \`Id\`),
and each file is sorted by \`CreationTime\` then \`Id\`. Events arrive late: a run adds the
rows it finds for a day that already has files as a new file of that day (\`.added-<n>\`),
without rewriting the others; 8 days after a day ends, when the Management API can add
nothing more to it, the day is compacted: its files become parts 1, 2, … (or one file), in
one row order, as a backfill of the same records would write them. The globs below read
every shape. A day is in one format only: when the format changes, a day is converted when
it is next written.

## Columns

${SNAPSHOT_COLUMNS.map((column) => `- \`${column}\``).join('\n')}

\`AuditData\` is the full record as JSON, exactly as the API served it (a record imported
from a Purview export: the export's JSON, written compactly). CSV files are
RFC 4180, UTF-8, with a header row; \`CreationTime\` is UTC text (\`YYYY-MM-DDTHH:MM:SSZ\`).
Parquet files are typed: \`CreationTime\` a UTC timestamp, \`RecordType\` and \`UserType\`
integers, the rest strings (absent values null); ZSTD-compressed.

## Power Apps usage

\`usage/power-apps/\` holds one CSV per UTC day with launches: \`Date, EnvironmentId,
EnvironmentName, AppId, AppName, Launches, UniqueUsers\`, one row per app and environment,
counted from every \`LaunchPowerApp\` record of that day in \`audit/Audit.General\` (both the
RecordType 45 and 256 shapes; each record once; users by \`UserKey\`). A day's file is
recounted from the whole day whenever the day gets records, late ones and imports included.

## Query

\`\`\`sh
git clone --branch ${branch} --single-branch <this repository> audit && cd audit
duckdb -c "SELECT Operation, count(*) FROM read_csv('audit/Audit.General/*/*/*.csv') GROUP BY 1 ORDER BY 2 DESC"
duckdb -c "SELECT Operation, count(*) FROM read_parquet('audit/Audit.General/*/*/*.parquet') GROUP BY 1 ORDER BY 2 DESC"
\`\`\`

\`\`\`python
import pandas as pd, glob
df = pd.concat(pd.read_csv(f) for f in glob.glob("audit/Audit.General/*/*/*.csv"))
launches = df[df.Operation == "LaunchPowerApp"]
df = pd.concat(pd.read_parquet(f) for f in glob.glob("audit/Audit.General/*/*/*.parquet"))  # Parquet (pyarrow)
\`\`\`

Power BI: *Get Data > Parquet* or *Text/CSV* (or *Folder*) on the files; Excel: the CSV files, UTF-8.
`;
}

;// CONCATENATED MODULE: ./src/util/swar.ts
/**
 * Byte tests on a 32-bit word at a time ("SWAR", SIMD within a register), for the loops that
 * look for a few byte values in long runs of bytes: a row's plain values.
 * Words are read little-endian with a DataView (any offset), so the lowest byte of a word
 * is its first byte in memory.
 *
 * `(x - 0x01010101) & ~x & 0x80808080` flags the zero bytes of x. A borrow only runs upwards,
 * so the lowest flag is always right; a flag above it may be wrong, which is why callers use
 * only whether there is one.
 */
/** Flags (0x80 of each byte) the bytes of `word` equal to the byte repeated in `repeated` (e.g. 0x22222222). */
function bytesEqualTo(word, repeated) {
    const zeroWhereEqual = word ^ repeated;
    return ((zeroWhereEqual - 0x01010101) | 0) & ~zeroWhereEqual & 0x80808080;
}
/** Flags the bytes of `word` below the byte repeated in `repeatedLimit` (at most 0x80; e.g. 0x0e0e0e0e). */
function bytesBelow(word, repeatedLimit) {
    return ((word - repeatedLimit) | 0) & ~word & 0x80808080;
}
/** A view for reading and writing words at any offset of `bytes`. */
function viewOf(bytes) {
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

;// CONCATENATED MODULE: ./src/snapshot/format/csv-part-writer.ts



const CHUNK_BYTES = 1024 * 1024;
/**
 * Writes sorted rows into consecutive part files of at most `maxBytes` each (a row larger
 * than that gets a part of its own), each starting with `header`. Filling parts in row order
 * keeps the split a function of the rows alone: the same records always give the same parts.
 */
class CsvPartWriter {
    dir;
    header;
    maxBytes;
    parts = [];
    current;
    chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    used = 0;
    constructor(dir, header, maxBytes) {
        this.dir = dir;
        this.header = header;
        this.maxBytes = maxBytes;
    }
    write(row) {
        const size = row.payload.byteLength;
        if (this.current && this.current.rows > 0 && this.current.bytes + size > this.maxBytes)
            this.closePart();
        const part = this.current ?? this.openPart();
        this.append(part, row.payload);
        part.rows++;
        if (part.rows === 1)
            part.first = row.time;
        part.last = row.time;
    }
    /** Closes the last part and returns every part written, in order. */
    finish() {
        if (this.current)
            this.closePart();
        return this.parts;
    }
    openPart() {
        const file = (0,external_node_path_.join)(this.dir, `part-${this.parts.length + 1}`);
        const part = { fd: (0,external_node_fs_.openSync)(file, 'w'), file, bytes: 0, rows: 0, sha256: (0,external_node_crypto_.createHash)('sha256'), first: '', last: '' };
        this.current = part;
        this.append(part, this.header);
        return part;
    }
    append(part, bytes) {
        part.bytes += bytes.byteLength;
        if (this.used + bytes.byteLength > this.chunk.length)
            this.flush(part);
        if (bytes.byteLength > this.chunk.length) {
            part.sha256.update(bytes);
            (0,external_node_fs_.writeSync)(part.fd, bytes);
            return;
        }
        this.used += bytes.copy(this.chunk, this.used);
    }
    /** Writes the chunk out, hashing it on the way: a hash call per chunk, not per row. */
    flush(part) {
        if (this.used > 0) {
            const filled = this.chunk.subarray(0, this.used);
            part.sha256.update(filled);
            (0,external_node_fs_.writeSync)(part.fd, filled);
        }
        this.used = 0;
    }
    closePart() {
        const part = this.current;
        if (!part)
            return;
        this.flush(part);
        (0,external_node_fs_.closeSync)(part.fd);
        this.current = undefined;
        this.parts.push({
            file: part.file,
            bytes: part.bytes,
            rows: part.rows,
            sha256: part.sha256.digest('hex'),
            firstCreationTime: part.first,
            lastCreationTime: part.last
        });
    }
}

;// CONCATENATED MODULE: ./src/snapshot/format/plain-bytes.ts

/**
 * Copying a value's bytes out of a content blob eight at a time (two 32-bit words), for the
 * values that need no care on the way: no CSV quotes, no JSON escapes. Such values (GUIDs,
 * names, operations) are most of a row's columns; a byte loop over them, and a call into
 * C++ per value for `Buffer#copy`, were a large share of a run's CPU (docs/benchmarks.md,
 * "Copying bytes a word at a time").
 */
const plain_bytes_QUOTE = 0x22;
const COMMA = 0x2c;
const plain_bytes_BACKSLASH = 0x5c;
let viewedBlob;
let blobView;
/** `viewOf(blob)`, made once for the records of one blob, which are encoded one after another. */
function viewOfBlob(blob) {
    if (blob !== viewedBlob || !blobView) {
        viewedBlob = blob;
        blobView = viewOf(blob);
    }
    return blobView;
}
/**
 * Copies `source[start, end)` to `out` at `at`, eight bytes at a time, when none of its bytes
 * needs CSV quotes or is a JSON escape (a quote, comma, backslash, or a control byte such as
 * CR or LF); returns the new end, or -1 (having written some of it) when one does.
 */
function copyPlainBytes(out, outView, at, source, sourceView, start, end) {
    let from = start;
    for (; from + 8 <= end; from += 8, at += 8) {
        const low = sourceView.getInt32(from, true);
        const high = sourceView.getInt32(from + 4, true);
        if ((needsCare(low) | needsCare(high)) !== 0)
            return -1;
        outView.setInt32(at, low, true);
        outView.setInt32(at + 4, high, true);
    }
    for (; from < end; from++) {
        const byte = source[from];
        if (byte === plain_bytes_QUOTE || byte === COMMA || byte === plain_bytes_BACKSLASH || byte < 0x0e)
            return -1;
        out[at++] = byte;
    }
    return at;
}
/** Non-zero when a byte of `word` is a quote, a comma, a backslash or below 0x0e (see util/swar.ts). */
function needsCare(word) {
    return (bytesEqualTo(word, 0x22222222) |
        bytesEqualTo(word, 0x2c2c2c2c) |
        bytesEqualTo(word, 0x5c5c5c5c) |
        bytesBelow(word, 0x0e0e0e0e));
}

;// CONCATENATED MODULE: ./src/snapshot/format/csv.ts






/**
 * Day files as CSV: RFC 4180, UTF-8, CRLF, a header row, quotes only where needed (AuditData,
 * a JSON object, always needs them).
 *
 * Rows are encoded once, straight from the blob's bytes, and existing files are read back by
 * splitting them into raw rows, not by parsing every field: a day can hold a million rows,
 * all read back when the day is compacted. Both directions are written here
 * rather than with csv-stringify and csv-parse because they are the hottest code of a run,
 * and those libraries alone would take the run past its CPU target (docs/benchmarks.md,
 * "The CSV codec", measured by `npm run bench -- --scenarios codecs`). The dialect is our
 * own, and the test suite reads every file back with csv-parse and DuckDB as oracles.
 */
const CSV_HEADER = Buffer.from(`${SNAPSHOT_COLUMNS.join(',')}\r\n`, 'utf8');
/** Where rows are assembled before they get a buffer of their own; grows for a larger row. */
let csv_scratch = Buffer.allocUnsafe(64 * 1024);
let scratchView = viewOf(csv_scratch);
function growScratch(size, keep) {
    const bigger = Buffer.allocUnsafe(Math.max(size, 2 * csv_scratch.length));
    csv_scratch.copy(bigger, 0, 0, keep);
    csv_scratch = bigger;
    scratchView = viewOf(csv_scratch);
}
/**
 * One row of strings as a CSV line, CRLF included (rows that do not come from a content blob:
 * tests, imports), quoted by the same rule as every other line.
 */
function encodeCsvRow(row) {
    return encodeCsvFields(row.map((value) => Buffer.from(value, 'utf8')));
}
/** One row of fields (UTF-8 bytes) as a CSV line, CRLF included. */
function encodeCsvFields(fields) {
    const bound = fields.reduce((sum, field) => sum + 2 * field.length + 3, 2);
    if (bound > csv_scratch.length)
        growScratch(bound, 0);
    let at = 0;
    fields.forEach((field, index) => {
        if (index > 0)
            csv_scratch[at++] = csv_COMMA;
        at = writeField(csv_scratch, at, field, 0, field.length);
    });
    csv_scratch[at++] = CR;
    csv_scratch[at++] = LF;
    return Buffer.from(csv_scratch.subarray(0, at));
}
const csv_QUOTE = 0x22;
const csv_COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;
/** What makes a field need quotes. */
const CSV_SPECIAL = refusing('",\r\n');
/**
 * Record `index` of a scanned blob as a CSV line: `id` and `time` (normalised by the caller)
 * first, then the other columns from their spans, then the record's own bytes, escaped by
 * the scanner, as AuditData (see `valueKind` for the other columns). The line lives in a buffer the next call
 * reuses (the spool copies it; a buffer per row was garbage for the collector).
 */
function encodeBlobRecord(body, records, index, id, time) {
    const columns = SNAPSHOT_COLUMNS.length - 1;
    const base = 2 * columns * index;
    const { spans, bounds } = records;
    // Every value lies inside the record, so twice the record (every byte quoted) bounds them.
    const headBound = 6 * Buffer.byteLength(id) + 2 * time.length + 2 * (bounds[4 * index + 1] - bounds[4 * index]) + 256;
    if (headBound > csv_scratch.length)
        growScratch(headBound, 0);
    const bodyView = viewOfBlob(body);
    const out = csv_scratch;
    // Ids are GUIDs, needing no quotes; any other goes through the general path.
    let at = writeAscii(out, 0, id, CSV_SPECIAL);
    if (at < 0) {
        const idBytes = Buffer.from(id, 'utf8');
        at = writeField(out, 0, idBytes, 0, idBytes.length);
    }
    out[at++] = csv_COMMA;
    at = writeCreationTime(out, at, time);
    for (let column = 2; column < columns; column++) {
        out[at++] = csv_COMMA;
        const start = spans[base + 2 * column];
        const end = spans[base + 2 * column + 1];
        if (start >= 0 && body[start] === csv_QUOTE) {
            // The common case, a string that needs neither decoding nor CSV quotes.
            const copied = copyPlainBytes(out, scratchView, at, body, bodyView, start + 1, end - 1);
            if (copied >= 0) {
                at = copied;
                continue;
            }
        }
        const kind = valueKind(body, start, end);
        if (kind === ValueKind.PlainString)
            at = writeField(out, at, body, start + 1, end - 1);
        else if (kind === ValueKind.Literal)
            at = writeField(out, at, body, start, end);
        else if (kind === ValueKind.EscapedString) {
            const decoded = Buffer.from(JSON.parse(body.toString('utf8', start, end)), 'utf8');
            at = writeField(out, at, decoded, 0, decoded.length);
        }
    }
    const auditStart = bounds[4 * index + 2];
    const auditEnd = bounds[4 * index + 3];
    const size = at + auditEnd - auditStart + 5;
    if (size > csv_scratch.length)
        growScratch(size, at);
    const line = csv_scratch;
    line[at++] = csv_COMMA;
    line[at++] = csv_QUOTE;
    at += records.escaped.copy(line, at, auditStart, auditEnd);
    line[at++] = csv_QUOTE;
    line[at++] = CR;
    line[at++] = LF;
    return line.subarray(0, at);
}
/** Writes `source[start, end)` as a CSV field at `at`, quoted when it must be; returns the new end. */
function writeField(out, at, source, start, end) {
    let special = false;
    for (let index = start; index < end; index++) {
        const byte = source[index];
        if (byte === csv_QUOTE || byte === csv_COMMA || byte === CR || byte === LF) {
            special = true;
            break;
        }
    }
    if (!special) {
        for (let index = start; index < end; index++)
            out[at++] = source[index];
        return at;
    }
    out[at++] = csv_QUOTE;
    for (let index = start; index < end; index++) {
        const byte = source[index];
        out[at++] = byte;
        if (byte === csv_QUOTE)
            out[at++] = csv_QUOTE;
    }
    out[at++] = csv_QUOTE;
    return at;
}
/**
 * Splits a day file into its rows, keeping each row's bytes (its CSV line) as they are and
 * reading only the first two fields, Id and CreationTime. Takes the file as chunks of any
 * size, in order; yields batches of rows in file order, each good until the next is asked
 * for. Refuses a file that does not start with our header (rewriting it would lose whatever
 * columns it had).
 */
async function* readCsvRows(chunks, path) {
    // The bytes not yet split into rows sit at the front of one buffer, reused chunk after
    // chunk (a batch's rows are good until the next batch is asked for, see sorted-merge.ts):
    // a new buffer per chunk added up to the file's size in allocations outside V8's heap,
    // to which V8 answers with full garbage collections.
    let buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let held = 0;
    let headerChecked = false;
    for await (const chunk of chunks) {
        if (held + chunk.length > buffer.length) {
            const larger = Buffer.allocUnsafe(Math.max(held + chunk.length, 2 * buffer.length));
            buffer.copy(larger, 0, 0, held);
            buffer = larger;
        }
        held += chunk.copy(buffer, held);
        const pending = buffer.subarray(0, held);
        let offset = 0;
        if (!headerChecked) {
            const bom = pending[0] === 0xef && pending[1] === 0xbb && pending[2] === 0xbf ? 3 : 0;
            if (pending.length < bom + CSV_HEADER.length)
                continue;
            if (!pending.subarray(bom, bom + CSV_HEADER.length).equals(CSV_HEADER))
                throw notOurs(path);
            headerChecked = true;
            offset = bom + CSV_HEADER.length;
        }
        const rows = [];
        for (;;) {
            const end = rowEnd(pending, offset);
            if (end < 0)
                break;
            rows.push(splitRow(pending, offset, end, path));
            offset = end;
        }
        if (rows.length > 0)
            yield rows;
        // The rest is the start of a row: to the front, for the next chunk to complete.
        buffer.copy(buffer, 0, offset, held);
        held -= offset;
    }
    if (!headerChecked) {
        if (held === 0)
            return;
        throw notOurs(path);
    }
    if (held > 0)
        throw new Error(`${path} on the data branch ends inside a row; move or delete it, then run again.`);
}
/** What the reader of a day file starts with: a chunk of a download and the row it ends in. */
const READ_BUFFER_BYTES = 256 * 1024;
/** The offset just past the CRLF that ends the row starting at `start`, or -1 if it is not complete. */
function rowEnd(bytes, start) {
    // Byte by byte: a row is mostly AuditData, whose doubled quotes come every few bytes, so
    // stepping over words of neither quote nor CR measured no faster (docs/benchmarks.md).
    let quoted = false;
    for (let index = start; index < bytes.length; index++) {
        const byte = bytes[index];
        if (byte === csv_QUOTE)
            quoted = !quoted;
        else if (!quoted && byte === CR && bytes[index + 1] === LF)
            return index + 2;
        else if (!quoted && byte === CR && index + 1 === bytes.length)
            return -1;
    }
    return -1;
}
/** A row's Id and CreationTime (the first two fields) and its bytes. */
function splitRow(bytes, start, end, path) {
    const [id, afterId] = readField(bytes, start, end);
    const [time] = readField(bytes, afterId, end);
    if (time.length !== 20)
        throw new Error(`${path} on the data branch has a row whose CreationTime is not YYYY-MM-DDTHH:MM:SSZ ('${time.slice(0, 40)}'); move or delete it, then run again.`);
    return { id, time, payload: bytes.subarray(start, end) };
}
/** The field at `start` and the offset of the next one. */
function readField(bytes, start, end) {
    if (bytes[start] !== csv_QUOTE) {
        let stop = bytes.indexOf(csv_COMMA, start);
        if (stop < 0 || stop > end)
            stop = end - 2;
        return [bytes.toString('utf8', start, stop), stop + 1];
    }
    let value = '';
    let from = start + 1;
    for (;;) {
        const quote = bytes.indexOf(csv_QUOTE, from);
        value += bytes.toString('utf8', from, quote);
        if (bytes[quote + 1] === csv_QUOTE) {
            value += '"';
            from = quote + 2;
        }
        else {
            return [value, quote + 2];
        }
    }
}
function notOurs(path) {
    return new Error(`${path} on the data branch does not start with the expected header (${SNAPSHOT_COLUMNS.join(',')}); ` +
        `move or delete it, then run again.`);
}
/**
 * The fields of one of our CSV lines (CRLF included or not), unquoted, as views of `line`.
 * A field with doubled quotes is undoubled where it stands (it only shrinks, and the fields
 * after it are found before it is written): `line` is changed, so pass a copy you own.
 */
function decodeCsvLine(line) {
    let end = line.length;
    if (end >= 2 && line[end - 2] === CR && line[end - 1] === LF)
        end -= 2;
    const fields = [];
    let at = 0;
    for (;;) {
        if (line[at] !== csv_QUOTE) {
            let stop = line.indexOf(csv_COMMA, at);
            if (stop < 0 || stop > end)
                stop = end;
            fields.push(line.subarray(at, stop));
            if (stop >= end)
                return fields;
            at = stop + 1;
            continue;
        }
        // Quoted: runs to the quote that is not followed by another.
        const start = at + 1;
        const { quote, doubled } = closingQuote(line, start, end);
        fields.push(line.subarray(start, doubled ? undoubleQuotes(line, start, quote) : quote));
        at = quote + 1;
        if (at >= end)
            return fields;
        at++; // the comma
    }
}
/**
 * The quote that closes a quoted field whose content starts at `from` (the first quote not
 * followed by another), and whether the field holds doubled quotes.
 */
function closingQuote(line, from, end) {
    let doubled = false;
    for (let scan = from;;) {
        const quote = line.indexOf(csv_QUOTE, scan);
        if (quote < 0 || quote >= end)
            throw new Error('a CSV line ends inside a quoted field');
        if (line[quote + 1] !== csv_QUOTE)
            return { quote, doubled };
        doubled = true;
        scan = quote + 2;
    }
}
/** Undoubles the quotes of `bytes[start, end)` where they stand (it only shrinks); returns the new end. */
function undoubleQuotes(bytes, start, end) {
    let write = start;
    for (let index = start; index < end; index++) {
        const byte = bytes[index];
        bytes[write++] = byte;
        if (byte === csv_QUOTE)
            index++;
    }
    return write;
}
/**
 * Field `column` of one of our CSV lines (CRLF included or not), unquoted: a view of `line`,
 * or a copy of the field alone when it holds doubled quotes; empty when the line has fewer
 * fields. The fields after it are not looked at.
 */
function csvField(line, column) {
    let end = line.length;
    if (end >= 2 && line[end - 2] === CR && line[end - 1] === LF)
        end -= 2;
    let at = 0;
    for (let index = 0; at <= end; index++) {
        if (line[at] !== csv_QUOTE) {
            let stop = line.indexOf(csv_COMMA, at);
            if (stop < 0 || stop > end)
                stop = end;
            if (index === column)
                return line.subarray(at, stop);
            at = stop + 1;
            continue;
        }
        // Quoted: runs to the quote that is not followed by another.
        const { quote, doubled } = closingQuote(line, at + 1, end);
        if (index === column) {
            if (!doubled)
                return line.subarray(at + 1, quote);
            const copy = Buffer.from(line.subarray(at + 1, quote));
            return copy.subarray(0, undoubleQuotes(copy, 0, copy.length));
        }
        at = quote + 2;
    }
    return Buffer.alloc(0);
}
/** Day files as CSV: rows travel as the CSV lines they are written as. */
const CSV_FORMAT = {
    name: 'csv',
    fromBlob: encodeBlobRecord,
    fromFields: encodeCsvFields,
    // decodeCsvLine undoubles quotes where they stand: it gets a copy.
    fields: (payload) => decodeCsvLine(Buffer.from(payload)),
    field: csvField,
    partWriter: (dir, maxBytes) => new CsvPartWriter(dir, CSV_HEADER, maxBytes),
    readRows: (chunks, path) => readCsvRows(chunks, path)
};

// EXTERNAL MODULE: external "node:zlib"
var external_node_zlib_ = __webpack_require__(8522);
// EXTERNAL MODULE: ./node_modules/hyparquet/src/metadata.js + 1 modules
var src_metadata = __webpack_require__(6367);
// EXTERNAL MODULE: ./node_modules/hyparquet/src/read.js + 13 modules
var read = __webpack_require__(9249);
// EXTERNAL MODULE: ./node_modules/hyparquet-writer/src/parquet-writer.js + 18 modules
var parquet_writer = __webpack_require__(9640);
// EXTERNAL MODULE: ./node_modules/hyparquet-writer/src/bytewriter.js
var bytewriter = __webpack_require__(3732);
;// CONCATENATED MODULE: ./src/util/release-buffer.ts
/**
 * Memory given back when we are done with it, not when V8 next collects. A buffer outside
 * V8's heap costs V8 nothing to keep, so a run that makes and drops megabytes of them (pages
 * of Parquet read and written) lets them pile up to tens of megabytes above what it holds
 * before it collects, and the memory allocator then keeps much of that for the rest of the
 * run (docs/benchmarks.md, "Buffers outside V8's heap").
 * Detaching a buffer (`transfer(0)`) frees its memory at once.
 */
/** Frees `view`'s memory now when the view covers its whole buffer; else leaves it to V8. */
function releaseWhole(view) {
    // A view of part of a buffer may share it (Node's pool of small Buffers): never detach that.
    if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength)
        releaseBuffer(view.buffer);
}
/** Frees `buffer`'s memory now. Only for a buffer nothing reads again: its views become empty. */
function releaseBuffer(buffer) {
    if (buffer instanceof ArrayBuffer && !buffer.detached && !buffer.resizable)
        buffer.transfer(0);
}

;// CONCATENATED MODULE: ./src/snapshot/format/field-frame.ts





/**
 * A row as its fields' raw bytes, for day files that are not CSV (Parquet): what travels
 * through the spool and the merge in place of a CSV line, so that the Parquet writer takes
 * views of its columns instead of parsing a CSV line back, which was most of what a Parquet
 * run spent beyond a CSV run (docs/benchmarks.md, "Parquet columns and compression").
 *
 * Layout: one u32 (little-endian) length per column of SNAPSHOT_COLUMNS, then the columns'
 * bytes one after another. A column without a value has length 0, as an empty CSV field
 * does: an empty string and null are one and the same in a day file of either format.
 */
const COLUMNS = SNAPSHOT_COLUMNS.length;
const field_frame_QUOTE = 0x22;
/** The table of lengths a frame starts with: one u32 per column. */
const FIELD_FRAME_HEADER_BYTES = 4 * COLUMNS;
let field_frame_scratch = Buffer.allocUnsafe(64 * 1024);
let field_frame_scratchView = viewOf(field_frame_scratch);
/** Fields (column order) as a frame, in a buffer of its own. */
function encodeFieldFrame(fields) {
    const frame = Buffer.allocUnsafe(fieldFrameBytes(fields));
    writeFieldFrame(fields, frame, 0);
    return frame;
}
/** The bytes the frame of `fields` takes. */
function fieldFrameBytes(fields) {
    if (fields.length !== COLUMNS)
        throw new Error(`A row of ${fields.length} fields cannot be a snapshot row (expected ${COLUMNS}).`);
    let bytes = FIELD_FRAME_HEADER_BYTES;
    for (const field of fields)
        bytes += field.length;
    return bytes;
}
/** Writes the frame of `fields` into `target` at `at` (room for fieldFrameBytes); returns its end. */
function writeFieldFrame(fields, target, at) {
    let end = at + FIELD_FRAME_HEADER_BYTES;
    fields.forEach((field, column) => {
        target.writeUInt32LE(field.length, at + 4 * column);
        target.set(field, end);
        end += field.length;
    });
    return end;
}
/** The fields of a frame, as views of it. */
function decodeFieldFrame(frame) {
    const fields = [];
    let at = FIELD_FRAME_HEADER_BYTES;
    for (let column = 0; column < COLUMNS; column++) {
        const length = frame.readUInt32LE(4 * column);
        fields.push(frame.subarray(at, at + length));
        at += length;
    }
    if (at !== frame.length)
        throw new Error(`A spooled row of ${frame.length} bytes is not a field frame (its fields take ${at}).`);
    return fields;
}
/**
 * Record `index` of a scanned blob as a frame: `id` and `time` (normalised by the caller),
 * the other columns' values from their spans (strings unquoted, JSON escapes decoded, null
 * left empty), and the record's bytes as served as AuditData. The frame lives in a buffer
 * the next call reuses (the spool copies it).
 */
function encodeBlobRecordFrame(body, records, index, id, time) {
    const scanned = COLUMNS - 1;
    const base = 2 * scanned * index;
    const { spans, bounds } = records;
    const recordStart = bounds[4 * index];
    const recordEnd = bounds[4 * index + 1];
    // Every value lies inside the record, so the record's length bounds their sum.
    const bound = FIELD_FRAME_HEADER_BYTES + 3 * id.length + time.length + 2 * (recordEnd - recordStart);
    if (bound > field_frame_scratch.length) {
        field_frame_scratch = Buffer.allocUnsafe(Math.max(bound, 2 * field_frame_scratch.length));
        field_frame_scratchView = viewOf(field_frame_scratch);
    }
    const bodyView = viewOfBlob(body);
    const frame = field_frame_scratch;
    let at = FIELD_FRAME_HEADER_BYTES;
    const idEnd = writeAscii(frame, at, id);
    const idLength = idEnd >= 0 ? idEnd - at : frame.write(id, at, 'utf8');
    frame.writeUInt32LE(idLength, 0);
    at += idLength;
    at = writeCreationTime(frame, at, time);
    frame.writeUInt32LE(time.length, 4);
    for (let column = 2; column < scanned; column++) {
        const start = spans[base + 2 * column];
        const end = spans[base + 2 * column + 1];
        const from = at;
        if (start >= 0 && body[start] === field_frame_QUOTE) {
            // The common case, a string without escapes (copied by words; a comma or a quote only
            // sends it the general way, which takes it as it is).
            const copied = copyPlainBytes(frame, field_frame_scratchView, at, body, bodyView, start + 1, end - 1);
            if (copied >= 0) {
                at = copied;
                frame.writeUInt32LE(at - from, 4 * column);
                continue;
            }
        }
        const kind = valueKind(body, start, end);
        if (kind === ValueKind.PlainString)
            at += body.copy(frame, at, start + 1, end - 1);
        else if (kind === ValueKind.EscapedString)
            at += frame.write(JSON.parse(body.toString('utf8', start, end)), at, 'utf8');
        else if (kind === ValueKind.Literal)
            at += body.copy(frame, at, start, end);
        frame.writeUInt32LE(at - from, 4 * column);
    }
    at += body.copy(frame, at, recordStart, recordEnd);
    frame.writeUInt32LE(recordEnd - recordStart, 4 * scanned);
    return frame.subarray(0, at);
}
/** Field `column` of a frame, as a view of it (the lengths before it are read, nothing else). */
function frameField(frame, column) {
    let at = FIELD_FRAME_HEADER_BYTES;
    for (let before = 0; before < column; before++)
        at += frame.readUInt32LE(4 * before);
    return frame.subarray(at, at + frame.readUInt32LE(4 * column));
}

;// CONCATENATED MODULE: ./src/snapshot/day-content-error.ts
/**
 * A day that cannot be merged because of what it holds, not because of the run: a file of the
 * branch that does not read as what it should be (a hand-edited CSV, a truncated Parquet
 * file), or a record whose value the format cannot take. It fails that day alone: the commit
 * holds the day's new rows aside (see branch/held-days.ts) and every other day lands.
 */
class DayContentError extends Error {
    file;
    constructor(message, 
    /** The file at fault, when a file is; absent when a record's value is. */
    file, options) {
        super(message, options);
        this.file = file;
        this.name = 'DayContentError';
    }
}

;// CONCATENATED MODULE: ./src/snapshot/format/parquet.ts











/**
 * Day files as Parquet: the CSV columns, typed. `CreationTime` is a UTC timestamp (millis),
 * `RecordType` and `UserType` 32-bit integers, the rest UTF-8 strings, absent values null.
 * `AuditData` is the record's JSON exactly as the API served it, as a string: annotated as
 * JSON, hyparquet-writer would stringify the value a second time, and a logical-type-only
 * JSON annotation reads as a BLOB in DuckDB (`AuditData::JSON` gives the JSON type).
 * ZSTD (from node:zlib), row groups of ROW_GROUP_ROWS rows written as they fill.
 *
 * Rows travel through the spool and the merge as field frames (see field-frame.ts); this
 * codec turns them into columns and back. Rows keep their (CreationTime, Id) order, so the same
 * records always give the same bytes.
 */
/**
 * A row group ends at this many rows or this many bytes of rows, whichever comes first. A
 * group is held whole while it is encoded, and while it is read back in a merge, in several
 * forms at once (rows, columns, pages, compressed pages): a run's peak memory grows by many
 * times the group's bytes. A megabyte (about 850 audit records) keeps the merging run of a
 * large day under its memory bound, for a file a few percent larger than with large groups
 * and no more CPU (docs/benchmarks.md, "Parquet row groups").
 */
const ROW_GROUP_ROWS = 25_000;
const ROW_GROUP_BYTES = 1024 * 1024;
const STRING = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
const INT32 = { type: 'INT32' };
/** The schema, in SNAPSHOT_COLUMNS order. */
const SCHEMA = [
    { name: 'root', num_children: SNAPSHOT_COLUMNS.length },
    ...SNAPSHOT_COLUMNS.map((name) => {
        if (name === 'Id')
            return { name, ...STRING, repetition_type: 'REQUIRED' };
        if (name === 'CreationTime')
            return {
                name,
                type: 'INT64',
                logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
                repetition_type: 'REQUIRED'
            };
        if (name === 'RecordType' || name === 'UserType')
            return { name, ...INT32, repetition_type: 'OPTIONAL' };
        if (name === 'AuditData')
            return { name, ...STRING, repetition_type: 'REQUIRED' };
        return { name, ...STRING, repetition_type: 'OPTIONAL' };
    })
];
/**
 * How each column is encoded. Only `CreationTime` keeps min/max statistics: rows are sorted by
 * it, so a reader skips row groups by time; every other column's range spans the whole group
 * and prunes nothing. The other columns are PLAIN: under ZSTD a plain page of repeated
 * strings (Operation, UserId, …) is as small as a dictionary-encoded one, and building the
 * dictionary (a map lookup per value) was a large share of hyparquet-writer's time
 * (docs/benchmarks.md, "Parquet columns and compression"). Their strings then go to the writer as the bytes
 * they already are, never decoded to JavaScript strings and encoded back. `CreationTime`
 * keeps the writer's dictionary (rows share their second): read back in a merge, each
 * distinct time then becomes one Date, not one per row.
 */
const COLUMN_ENCODING = SNAPSHOT_COLUMNS.map((name) => name === 'CreationTime' ? { name } : { name, encoding: 'PLAIN', statistics: false });
// Views of node:zlib's output: `new Uint8Array(buffer)` would copy every page once more.
const asView = (buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
/**
 * ZSTD's level 1, not its default 3: on pages of audit records it compresses faster, for a
 * file no larger (docs/benchmarks.md, "Parquet columns and compression").
 */
const ZSTD_PARTS = { params: { [external_node_zlib_.constants.ZSTD_c_compressionLevel]: 1 } };
/**
 * The rows an hourly run adds to a day are stored twice in the repository's history: in the
 * addition, and again when the day is compacted. Level 10 makes additions about a seventh
 * smaller, at a sixth of level 1's speed: milliseconds for an hourly run's few thousand rows,
 * seconds for a catch-up run's hundreds of thousands. So a run's first ADDITION_PACKED_ROWS
 * rows of a day are packed harder, the rest as parts are (docs/benchmarks.md, "Why the code
 * is the way it is").
 */
const ZSTD_ADDITIONS = { params: { [external_node_zlib_.constants.ZSTD_c_compressionLevel]: 10 } };
const ADDITION_PACKED_ROWS = ROW_GROUP_ROWS;
// A page's size is in its header: decompressed into one buffer of that size, not the
// default 64 KiB chunks joined at the end (twice the memory, and slower), and never into
// more than the header says.
function decompressZstd(input, outputLength) {
    const size = Math.max(outputLength, MIN_ZLIB_CHUNK_BYTES);
    try {
        return asView((0,external_node_zlib_.zstdDecompressSync)(input, { chunkSize: size, maxOutputLength: size }));
    }
    catch (error) {
        if (error.code === 'ERR_BUFFER_TOO_LARGE') {
            throw new Error(`a ZSTD page holds more than the ${outputLength} bytes its header gives`, { cause: error });
        }
        throw error;
    }
}
/** node:zlib's smallest chunk size. */
const MIN_ZLIB_CHUNK_BYTES = 64;
/**
 * Writes sorted rows (field frames) into consecutive Parquet part files, cutting a part once it
 * reaches `maxBytes` (checked after each row group, so a part may pass it by one group),
 * with the sha256 and row range the manifest needs.
 */
class ParquetPartWriter {
    dir;
    maxBytes;
    use;
    parts = [];
    current;
    columns = SNAPSHOT_COLUMNS.map(() => []);
    groupFirst = '';
    groupLast = '';
    /** The current group's rows, decoded in place; reused group after group. */
    scratch = { bytes: Buffer.allocUnsafe(ROW_GROUP_BYTES + 64 * 1024), at: 0 };
    /**
     * The page compressed last. hyparquet-writer 0.17 compresses a page, appends the result to
     * its output, then goes on to the next page (node_modules/hyparquet-writer/src/datapage.js):
     * a compressed page is done with once the next one is compressed, or the part closes, and
     * its memory is given back then rather than left for V8 to find (see release-buffer.ts).
     * test/unit/parquet-codec.test.ts reads back files of many pages and parts written so.
     */
    lastCompressed;
    compressors = {
        ZSTD: (page) => {
            this.releaseLastCompressed();
            this.lastCompressed = asView((0,external_node_zlib_.zstdCompressSync)(page, this.zstdOptions));
            return this.lastCompressed;
        }
    };
    zstdOptions;
    rowsWritten = 0;
    constructor(dir, maxBytes, use = 'parts') {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.use = use;
        this.zstdOptions = use === 'parts' ? ZSTD_PARTS : ZSTD_ADDITIONS;
    }
    write(row) {
        // The row's bytes are only good until the next batch: the group keeps copies.
        if (this.scratch.at + row.payload.length > this.scratch.bytes.length)
            this.growScratch(row.payload.length);
        const start = this.scratch.at;
        const bytes = this.scratch.bytes;
        row.payload.copy(bytes, start);
        this.scratch.at += row.payload.length;
        // The frame's fields are read where they stand (see field-frame.ts): no view per field.
        let at = start + FIELD_FRAME_HEADER_BYTES;
        for (let column = 0; column < SNAPSHOT_COLUMNS.length; column++) {
            const end = at + bytes.readUInt32LE(start + 4 * column);
            this.columns[column].push(columnValue(column, bytes, at, end, row.time));
            at = end;
        }
        if (at !== this.scratch.at)
            throw new Error(`A spooled row of ${row.payload.length} bytes is not a field frame.`);
        if (this.columns[0].length === 1)
            this.groupFirst = row.time;
        this.groupLast = row.time;
        if (this.columns[0].length >= ROW_GROUP_ROWS || this.scratch.at >= ROW_GROUP_BYTES)
            this.flushGroup();
    }
    /** Closes the last part and returns every part written, in order. */
    finish() {
        this.flushGroup();
        this.closePart();
        return this.parts;
    }
    releaseLastCompressed() {
        if (this.lastCompressed)
            releaseWhole(this.lastCompressed);
        this.lastCompressed = undefined;
    }
    growScratch(needed) {
        // Values of the current group point into the old buffer, which they keep alive.
        this.scratch = { bytes: Buffer.allocUnsafe(Math.max(2 * this.scratch.bytes.length, needed)), at: 0 };
    }
    flushGroup() {
        const rows = this.columns[0].length;
        if (rows === 0)
            return;
        if (this.use === 'additions' && this.rowsWritten >= ADDITION_PACKED_ROWS)
            this.zstdOptions = ZSTD_PARTS;
        this.rowsWritten += rows;
        const part = this.current ?? this.openPart();
        written(part.writer.write({
            columnData: COLUMN_ENCODING.map((encoding, index) => ({ ...encoding, data: this.columns[index] })),
            rowGroupSize: rows
        }));
        if (part.rows === 0)
            part.first = this.groupFirst;
        part.rows += rows;
        part.last = this.groupLast;
        this.columns = SNAPSHOT_COLUMNS.map(() => []);
        this.scratch.at = 0;
        if (part.output.offset >= this.maxBytes)
            this.closePart();
    }
    openPart() {
        const file = (0,external_node_path_.join)(this.dir, `part-${this.parts.length + 1}.parquet`);
        const output = new HashingFileWriter(file);
        const writer = new parquet_writer/* ParquetWriter */.o({
            writer: output,
            schema: SCHEMA,
            codec: 'ZSTD',
            compressors: this.compressors,
            createdBy: 'm365-audit-sync'
        });
        this.current = { writer, output, file, rows: 0, first: '', last: '' };
        return this.current;
    }
    closePart() {
        const part = this.current;
        if (!part)
            return;
        written(part.writer.finish());
        this.releaseLastCompressed();
        this.current = undefined;
        this.parts.push({
            file: part.file,
            bytes: part.output.offset,
            rows: part.rows,
            sha256: part.output.digest(),
            firstCreationTime: part.first,
            lastCreationTime: part.last
        });
    }
}
/**
 * hyparquet-writer writes a row group (or the footer) before it returns, unless its output
 * flushes asynchronously; ours (HashingFileWriter) writes synchronously, so a promise here
 * means the library changed how it works, and is refused rather than left unawaited.
 */
function written(result) {
    if (result)
        throw new Error('hyparquet-writer returned a promise; this writer expects it to write synchronously.');
}
/** Field `bytes[start, end)` as the column's Parquet value: a view of the bytes for strings. */
function columnValue(column, bytes, start, end, time) {
    if (column === Column.CreationTime)
        return timestampMillis(time);
    if (column === Column.AuditData || column === Column.Id)
        return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
    if (end === start)
        return null;
    if (column === Column.RecordType || column === Column.UserType) {
        const number = asciiInteger(bytes, start, end) ?? Number(bytes.toString('latin1', start, end));
        if (!Number.isInteger(number) || number < -2147483648 || number > 2147483647) {
            throw new DayContentError(`a record's ${SNAPSHOT_COLUMNS[column]} is not a 32-bit integer, so it cannot be written as Parquet (its rows are kept as CSV until a run can write them; format: csv takes any value).`);
        }
        return number;
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}
/**
 * The integer that plain ASCII digits (after an optional minus) spell, read without making a
 * string; undefined for anything else, which `Number` then judges.
 */
function asciiInteger(bytes, start, end) {
    const negative = bytes[start] === 0x2d;
    let at = negative ? start + 1 : start;
    if (at === end || end - at > 10)
        return undefined;
    let value = 0;
    for (; at < end; at++) {
        const digit = bytes[at] - 0x30;
        if (digit < 0 || digit > 9)
            return undefined;
        value = value * 10 + digit;
    }
    return negative ? -value : value;
}
/** Rows come sorted by time, many sharing one: the last conversion is worth keeping. */
let lastTime = '';
let lastMillis = 0n;
function timestampMillis(time) {
    if (time !== lastTime) {
        lastMillis = BigInt(Date.parse(time));
        lastTime = time;
    }
    return lastMillis;
}
/**
 * hyparquet-writer's writer interface on a file: bytes go to disk a megabyte at a time,
 * hashed on the way (the manifest's sha256 without reading the part again).
 */
class HashingFileWriter extends bytewriter/* ByteWriter */.U {
    fd;
    hash = (0,external_node_crypto_.createHash)('sha256');
    constructor(file) {
        super();
        this.fd = (0,external_node_fs_.openSync)(file, 'w');
    }
    ensure(size) {
        if (this.index > FLUSH_BYTES)
            this.flushToFile();
        super.ensure(size);
    }
    finish() {
        this.flushToFile();
        (0,external_node_fs_.closeSync)(this.fd);
    }
    digest() {
        return this.hash.digest('hex');
    }
    flushToFile() {
        const bytes = new Uint8Array(this.buffer, 0, this.index);
        this.hash.update(bytes);
        (0,external_node_fs_.writeSync)(this.fd, bytes);
        this.index = 0;
    }
}
const FLUSH_BYTES = 1024 * 1024;
/**
 * A Parquet day file's rows, as field frames, in batches of a row group: what the merge reads
 * back from the branch. A batch's frames share one buffer, filled again for the next batch
 * (see `mergeSorted`). Refuses a file whose columns are not ours.
 */
async function* readParquetRows(file, path) {
    const fd = (0,external_node_fs_.openSync)(file, 'r');
    // What reading a row group allocates (the file's bytes, pages decompressed), freed as soon
    // as its rows are copied into frames (see release-buffer.ts).
    const groupBuffers = [];
    try {
        // The footer is not among them: the metadata may keep views of it.
        const metadata = await (0,src_metadata/* parquetMetadataAsync */.Ei)(fileSlices(fd));
        const names = metadata.schema.slice(1).map((element) => element.name);
        if (names.join(',') !== SNAPSHOT_COLUMNS.join(',')) {
            throw new Error(`${path} on the data branch is not one of our Parquet snapshots (columns ${names.slice(0, 5).join(', ')}…); move or delete it, then run again.`);
        }
        const groupFile = fileSlices(fd, (bytes) => groupBuffers.push(bytes));
        const groupDecompressors = {
            ZSTD: (input, outputLength) => {
                const page = decompressZstd(input, outputLength);
                groupBuffers.push(page);
                return page;
            }
        };
        let frames = Buffer.allocUnsafe(ROW_GROUP_BYTES + 1024 * 1024);
        let rowStart = 0;
        for (const group of metadata.row_groups) {
            const rowEnd = rowStart + Number(group.num_rows);
            let values = [];
            try {
                await (0,read/* parquetRead */.bA)({
                    file: groupFile,
                    metadata,
                    rowStart,
                    rowEnd,
                    utf8: false,
                    compressors: groupDecompressors,
                    parsers: { stringFromBytes: (bytes) => bytes },
                    onComplete: (read) => (values = read)
                });
            }
            catch (error) {
                throw new Error(`${path} on the data branch cannot be read as Parquet, rows ${rowStart + 1}-${rowEnd} (${error instanceof Error ? error.message : String(error)}); move or delete it, then run again.`, { cause: error });
            }
            rowStart = rowEnd;
            const rows = values.map((row) => rowFields(row, path));
            const needed = rows.reduce((sum, row) => sum + fieldFrameBytes(row.fields), 0);
            if (needed > frames.length)
                frames = Buffer.allocUnsafe(needed);
            let at = 0;
            const batch = rows.map(({ time, fields }) => {
                const start = at;
                at = writeFieldFrame(fields, frames, at);
                const id = fields[Column.Id];
                return {
                    time,
                    id: Buffer.from(id.buffer, id.byteOffset, id.length).toString('utf8'),
                    payload: frames.subarray(start, at)
                };
            });
            // The rows' fields were views of these buffers; the frames are copies.
            for (const bytes of groupBuffers.splice(0))
                releaseWhole(bytes);
            yield batch;
        }
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
}
/**
 * A file as hyparquet reads it: each slice read straight into a buffer of its own, of its
 * size (hyparquet's `asyncBufferFromFile` opens a read stream per slice, and joins its 64 KiB
 * chunks at the end), shown to `onSlice`.
 */
function fileSlices(fd, onSlice) {
    const byteLength = (0,external_node_fs_.fstatSync)(fd).size;
    return {
        byteLength,
        slice(start, end = byteLength) {
            const bytes = new Uint8Array(end - start);
            for (let at = 0; at < bytes.length;) {
                const read = (0,external_node_fs_.readSync)(fd, bytes, at, bytes.length - at, start + at);
                if (read === 0)
                    throw new Error(`the file ends at byte ${start + at}, before byte ${end}`);
                at += read;
            }
            onSlice?.(bytes);
            return bytes.buffer;
        }
    };
}
function rowFields(values, path) {
    const time = values[Column.CreationTime];
    const millis = time instanceof Date ? time.getTime() : Number(time);
    if (!Number.isFinite(millis))
        throw new Error(`${path} on the data branch has a row without a CreationTime; move or delete it, then run again.`);
    const written = writtenTime(millis);
    const fields = values.map((value, column) => {
        if (column === Column.CreationTime)
            return written.bytes;
        if (value === null || value === undefined)
            return EMPTY;
        if (value instanceof Uint8Array)
            return value;
        return Buffer.from(String(value), 'utf8');
    });
    return { time: written.text, fields };
}
const EMPTY = new Uint8Array(0);
/** A CreationTime as rows carry it; rows come sorted, many sharing one, so the last is kept. */
let lastWritten = { millis: Number.NaN, text: '', bytes: EMPTY };
function writtenTime(millis) {
    if (millis !== lastWritten.millis) {
        const text = `${new Date(millis).toISOString().slice(0, 19)}Z`;
        lastWritten = { millis, text, bytes: Buffer.from(text, 'latin1') };
    }
    return lastWritten;
}
/**
 * Day files as Parquet: rows travel as field frames. A file is read from its end (the
 * footer), so a day file of the branch is downloaded to `scratchFile` before it is read.
 */
const PARQUET_FORMAT = {
    name: 'parquet',
    fromBlob: encodeBlobRecordFrame,
    fromFields: encodeFieldFrame,
    fields: decodeFieldFrame,
    field: frameField,
    partWriter: (dir, maxBytes, use = 'parts') => new ParquetPartWriter(dir, maxBytes, use),
    readRows: (chunks, path, scratchFile) => readDownloadedParquet(chunks, path, scratchFile)
};
async function* readDownloadedParquet(chunks, path, file) {
    const handle = await (0,external_node_fs_promises_.open)(file, 'w');
    try {
        for await (const chunk of chunks)
            await handle.write(chunk);
    }
    finally {
        await handle.close();
    }
    yield* readParquetRows(file, path);
}

;// CONCATENATED MODULE: ./src/snapshot/format/formats.ts


/** Every format, by name. */
const SNAPSHOT_FORMATS = {
    csv: CSV_FORMAT,
    parquet: PARQUET_FORMAT
};
/** The format of a name. */
function snapshotFormat(name) {
    return SNAPSHOT_FORMATS[name];
}
/** The formats other than `format`: a day found in one of them is converted when next written. */
function otherFormats(format) {
    return Object.values(SNAPSHOT_FORMATS).filter((other) => other !== format);
}

;// CONCATENATED MODULE: ./src/snapshot/describe-day-file.ts




/**
 * Gives every day file of the branch that the manifest does not describe its entry, read from
 * the file itself: after a manifest was broken, hand-edited or lost, it is rebuilt from the
 * tree rather than replaced by one that forgets every day the run did not touch. Files the
 * commit removes are skipped; a file that does not read is left without an entry (the day
 * fails when it is merged, and says why).
 */
async function describeUnlistedDayFiles(files, manifest, removed, scratchDir) {
    for (const path of [...files.paths()].sort()) {
        const parsed = parseDayPath(path);
        if (!parsed || manifest.files[path] || removed(path))
            continue;
        const entry = await describeDayFile(files, path, parsed.format, scratchDir).catch(() => undefined);
        if (!entry)
            continue;
        manifest.files[path] = entry;
    }
}
async function describeDayFile(files, path, formatName, scratchDir) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    let bytes = 0;
    async function* hashed() {
        for await (const chunk of files.stream(path)) {
            hash.update(chunk);
            bytes += chunk.byteLength;
            yield chunk;
        }
    }
    let rows = 0;
    let first = '';
    let last = '';
    const format = snapshotFormat(formatName);
    for await (const batch of format.readRows(hashed(), path, (0,external_node_path_.join)(scratchDir, 'describe-scratch'))) {
        for (const row of batch) {
            rows++;
            if (first === '' || row.time < first)
                first = row.time;
            if (row.time > last)
                last = row.time;
        }
    }
    return {
        format: formatName,
        rows,
        bytes,
        sha256: hash.digest('hex'),
        firstCreationTime: first,
        lastCreationTime: last
    };
}

;// CONCATENATED MODULE: ./src/commit/commit-message.ts


/** The commit's message: what it adds per content type, the days it touches, what changed about failures. */
function commitMessage(report, runUrl) {
    const { recordsAdded, added, compacted, settled, derived, failures } = report;
    const perType = new Map();
    for (const entry of added)
        perType.set(entry.type, (perType.get(entry.type) ?? 0) + entry.records);
    const days = [...new Set(added.map((entry) => entry.day))].sort();
    const firstDerived = derived.find((entry) => entry.days.length > 0);
    const title = recordsAdded > 0
        ? `audit-sync: +${countNoun(recordsAdded, 'record')} (${[...perType].map(([type, n]) => `${type} ${n}`).join(', ')})`
        : compacted.length > 0
            ? `audit-sync: compact ${countNoun(compacted.length, 'day')}`
            : firstDerived
                ? `audit-sync: ${firstDerived.title} of ${countNoun(firstDerived.days.length, 'day')}`
                : settled.length > 0
                    ? `audit-sync: settle ${countNoun(settled.length, 'day')}`
                    : 'audit-sync: update coverage ledger';
    const lines = [title, ''];
    if (days.length > 0)
        lines.push(`Days: ${days.join(', ')}`);
    for (const entry of added) {
        const files = entry.paths.every(isAddition) ? 'additions' : 'parts';
        const where = entry.paths.length === 1 ? entry.paths[0] : `${entry.type} ${entry.day} (${entry.paths.length} ${files})`;
        lines.push(`- ${where}: +${entry.records}`);
    }
    if (compacted.length > 0)
        lines.push(`Compacted (additions merged into the day's parts): ${compacted.join(', ')}`);
    if (settled.length > 0)
        lines.push(`Settled (record keys no longer kept): ${settled.join(', ')}`);
    for (const entry of derived)
        if (entry.days.length > 0)
            lines.push(`${entry.title} recomputed: ${entry.days.join(', ')}`);
    if (failures.recovered.length > 0)
        lines.push(`Recovered ${failures.recovered.length} failed window(s).`);
    if (failures.open.length > 0)
        lines.push(`Failed windows still open: ${failures.open.length} (retried by the next run).`);
    if (failures.newGaps.length > 0)
        lines.push(`New gaps (content the API no longer serves): ${failures.newGaps.length}.`);
    if (runUrl)
        lines.push('', `Run: ${runUrl}`);
    return `${lines.join('\n').trimEnd()}\n`;
}

;// CONCATENATED MODULE: ./src/commit/commit-report.ts
/** The report of a commit that adds and changes nothing: only failures and coverage to tell. */
function emptyCommitReport(failures, coverage) {
    return { recordsAdded: 0, added: [], compacted: [], settled: [], filesChanged: 0, derived: [], failures, coverage };
}
/** The report of a run that committed in parts: additions add up; failures are the last commit's. */
function combineCommitReports(earlier, later) {
    return {
        recordsAdded: earlier.recordsAdded + later.recordsAdded,
        added: mergeAdded([...earlier.added, ...later.added]),
        compacted: [...earlier.compacted, ...later.compacted],
        settled: [...earlier.settled, ...later.settled],
        filesChanged: earlier.filesChanged + later.filesChanged,
        derived: later.derived.map((entry) => {
            const before = earlier.derived.find((known) => known.title === entry.title)?.days ?? [];
            return { ...entry, days: [...new Set([...before, ...entry.days])].sort() };
        }),
        failures: {
            open: later.failures.open,
            recovered: [...earlier.failures.recovered, ...later.failures.recovered],
            newGaps: [...earlier.failures.newGaps, ...later.failures.newGaps]
        },
        coverage: later.coverage
    };
}
/** One entry per content type and day, whichever commits of the run added to it. */
function mergeAdded(entries) {
    const byDay = new Map();
    for (const entry of entries) {
        const key = `${entry.type}|${entry.day}`;
        const known = byDay.get(key);
        byDay.set(key, known ? { ...entry, records: known.records + entry.records } : entry);
    }
    return [...byDay.values()].sort((a, b) => (a.type + a.day < b.type + b.day ? -1 : 1));
}

;// CONCATENATED MODULE: ./src/branch/day-keys.ts


/**
 * The keys of a day's records, for a run that adds rows to a day without reading its files:
 * a record is the day's already when its key is among the day's keys. Copies of a record
 * share its Id and its CreationTime, hence its day. A key is the first 8 bytes of the SHA-256
 * of the record's Id (lower-cased, as rows carry it): with a million records a day on both
 * sides, about one record in 10^13 would be taken for a copy it is not.
 *
 * A key file (state/keys/…, one per day file of a day that is not settled yet) holds its
 * records' keys, sorted, 8 bytes each, big-endian, written as one line of base64 text: a run
 * reads every key file of the days it adds to, and GitHub hands out text files many at a
 * time (see readBlobs in src/github/git-database.ts), binary files one request each.
 */
const KEY_BYTES = 8;
/** The key of a record, by the Id its row carries. */
function day_keys_recordKey(id) {
    // A hex digest and BigInt's parse cost a third of a Buffer digest read as a BigInt: each
    // Buffer is an allocation (docs/benchmarks.md, "Why the code is the way it is").
    return BigInt(`0x${(0,external_node_crypto_.hash)('sha256', id, 'hex').slice(0, 2 * KEY_BYTES)}`);
}
/**
 * The keys of rows as they are written, in order, into files cut as the writer cuts them:
 * `files` splits them by the files' row counts into one key file each.
 */
class KeyLog {
    keys = new BigUint64Array(1024);
    count = 0;
    add(key) {
        if (this.count === this.keys.length) {
            const larger = new BigUint64Array(2 * this.keys.length);
            larger.set(this.keys);
            this.keys = larger;
        }
        this.keys[this.count++] = key;
    }
    /** The key files of files holding `rows[0]`, `rows[1]`, … of the rows added, in order. */
    files(rows) {
        const total = rows.reduce((sum, count) => sum + count, 0);
        if (total !== this.count)
            throw new Error(`${this.count} keys were logged for files of ${total} rows`);
        let at = 0;
        return rows.map((count) => {
            const file = encodeKeys(this.keys.slice(at, at + count).sort());
            at += count;
            return file;
        });
    }
}
/** The keys of a whole day, from its key files: answers whether a record is the day's already. */
class DayKeys {
    sorted;
    constructor(keyFiles) {
        const decoded = keyFiles.map(decodeKeys);
        this.sorted = new BigUint64Array(decoded.reduce((sum, keys) => sum + keys.length, 0));
        let at = 0;
        for (const keys of decoded) {
            this.sorted.set(keys, at);
            at += keys.length;
        }
        this.sorted.sort();
    }
    /** How many records the day holds. */
    get size() {
        return this.sorted.length;
    }
    /** Whether the day holds a record with this key (recordKey of its Id). */
    has(key) {
        const keys = this.sorted;
        let low = 0;
        let high = keys.length - 1;
        while (low <= high) {
            const middle = (low + high) >>> 1;
            const found = keys[middle];
            if (found === key)
                return true;
            if (found < key)
                low = middle + 1;
            else
                high = middle - 1;
        }
        return false;
    }
}
const LITTLE_ENDIAN = (0,external_node_os_.endianness)() === 'LE';
/** A key file of keys the caller no longer needs: their bytes are swapped to big-endian in place. */
function encodeKeys(keys) {
    const bytes = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
    if (LITTLE_ENDIAN)
        bytes.swap64();
    return Buffer.from(`${bytes.toString('base64')}\n`, 'latin1');
}
/** A key file's keys as numbers; the file's big-endian bytes are swapped into an array of them. */
function decodeKeys(file) {
    const text = file.toString('latin1').replace(/\n$/, '');
    // The decoder skips characters that are not base64: fewer bytes than the text's length promises.
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== Buffer.byteLength(text, 'base64') ||
        bytes.length % KEY_BYTES !== 0 ||
        /[^A-Za-z0-9+/=]/.test(text))
        throw new Error(`a key file of ${file.length} bytes is not a base64 line of ${KEY_BYTES}-byte keys`);
    const keys = new BigUint64Array(bytes.length / KEY_BYTES);
    const view = Buffer.from(keys.buffer);
    bytes.copy(view);
    if (LITTLE_ENDIAN)
        view.swap64();
    return keys;
}

;// CONCATENATED MODULE: ./src/snapshot/format/snapshot-format.ts
/** A payload of one format as a payload of another, in a buffer of its own. */
function convertPayload(payload, from, to) {
    return to.fromFields(from.fields(payload));
}

;// CONCATENATED MODULE: ./src/snapshot/merge-day.ts









/** Finds a day's files on the branch. */
function dayFiles(branch, type, day, format) {
    const byFormat = findDayFilesByFormat(branch.paths(), type, day);
    const { parts = [], additions = [] } = byFormat.get(format.name) ?? {};
    const converted = otherFormats(format)
        .map((other) => {
        const files = byFormat.get(other.name);
        return { format: other, paths: files ? [...files.parts, ...files.additions] : [] };
    })
        .filter((entry) => entry.paths.length > 0);
    const keyed = [...parts, ...additions].every((path) => branch.has(keyFilePath(path)));
    return { parts, additions, converted, keyed };
}
/**
 * Adds a day's new rows beside its files, never reading or rewriting them: the day's key
 * files say which rows it holds already, and the rows it does not hold become additions,
 * cut as parts are (each sorted within itself), each with its key file.
 */
async function addToDay(input) {
    const { branch, files, format } = input;
    const existing = [...files.parts, ...files.additions];
    const keys = readDayKeys(await branch.readMany(existing.map(keyFilePath)));
    await (0,external_node_fs_promises_.mkdir)(input.dir, { recursive: true });
    const writer = format.partWriter(input.dir, input.maxPartBytes, 'additions');
    const log = new KeyLog();
    let added = 0;
    for await (const batch of input.incoming.rows) {
        for (const row of batch) {
            const key = day_keys_recordKey(row.id);
            if (keys.has(key))
                continue;
            writer.write(row);
            log.add(key);
            input.observe?.(row);
            added++;
        }
    }
    const written = writer.finish();
    if (input.observe && input.observeExisting) {
        for await (const batch of readFiles(input, existing, format))
            for (const row of batch)
                input.observe(row);
    }
    if (added === 0)
        return { added, paths: [], files: new Map(), manifest: new Map() };
    const next = (files.additions.map(additionNumber).at(-1) ?? 0) + 1;
    const paths = written.map((_, index) => additionPath(input.type, input.day, format.name, next + index));
    const merge = { added, paths, files: new Map(), manifest: new Map() };
    const keyFiles = log.files(written.map((part) => part.rows));
    written.forEach((part, index) => {
        merge.files.set(paths[index], { file: part.file, size: part.bytes });
        merge.files.set(keyFilePath(paths[index]), keyFiles[index]);
        merge.manifest.set(paths[index], describePart(part, format));
    });
    return merge;
}
/**
 * Merges a day into its canonical layout, streaming: its parts, its additions, files of
 * another format (converted) and its new rows become parts sorted by CreationTime then Id,
 * cut at `maxPartBytes`, as one backfill of the same rows writes them. Parts that end
 * before the first row to merge are kept as they are, unread (the manifest knows each part's
 * time range); a part that comes out the same is not written again; additions and the
 * files of another format are removed. With `keys` (a day not settled yet) every part gets
 * its key file, so that later runs can add to the day; without, the day's key files go.
 */
async function compactDay(input) {
    const { branch, manifest, format, files } = input;
    // Rows of additions and of another format may fall anywhere in the day: none kept for the
    // latter, parts up to the earliest new or added row for the former.
    const starts = [
        ...(input.incoming ? [input.incoming.firstTime] : []),
        ...files.additions.map((path) => manifest.files[path]?.firstCreationTime ?? '')
    ];
    const firstTime = starts.length === 0 || starts.includes('')
        ? ''
        : starts.reduce((earliest, time) => (time < earliest ? time : earliest));
    const keep = files.converted.length > 0 || input.rewriteAll ? 0 : keptPrefix(files.parts, input, firstTime);
    await (0,external_node_fs_promises_.mkdir)(input.dir, { recursive: true });
    const writer = format.partWriter(input.dir, input.maxPartBytes);
    const log = new KeyLog();
    let added = 0;
    const additions = await spoolAdditions(input);
    // Each source is sorted; copies in an earlier source win: what the day holds over new rows.
    const sources = [
        readFiles(input, files.parts.slice(keep), format),
        additions.read(input.type, input.day),
        ...files.converted.map(({ format: other, paths }) => convertRows(readFiles(input, paths, other), other, format)),
        ...(input.incoming ? [input.incoming.rows] : [])
    ];
    const incomingSource = input.incoming ? sources.length - 1 : -1;
    try {
        for await (const batch of mergeSorted(sources, { onKept: (source) => source === incomingSource && added++ })) {
            for (const row of batch) {
                writer.write(row);
                if (input.keys)
                    log.add(day_keys_recordKey(row.id));
                input.observe?.(row);
            }
        }
    }
    finally {
        await additions.remove();
    }
    const written = writer.finish();
    if (input.observe)
        for await (const batch of readFiles(input, files.parts.slice(0, keep), format))
            for (const row of batch)
                input.observe(row);
    const previous = [...files.parts, ...files.additions, ...files.converted.flatMap(({ paths }) => paths)];
    const reshaped = files.additions.length > 0 || files.converted.length > 0;
    const keysChange = input.keys ? !files.keyed : previous.some((path) => branch.has(keyFilePath(path)));
    if (added === 0 && !reshaped && !keysChange)
        return { added, paths: previous, files: new Map(), manifest: new Map() };
    return { added, ...dayChanges(input, written, keep, previous, input.keys ? log : undefined) };
}
/**
 * The files, key files and manifest entries a compaction changes. Kept parts stay where they
 * are (keptPrefix makes sure they are numbered 1, 2, …); the parts written take the next
 * numbers on; a file of the day that is no longer among them is removed, with its key file.
 */
function dayChanges(input, written, keep, previous, log) {
    const { branch, manifest, format } = input;
    const paths = dayFilePaths(input.type, input.day, format.name, keep + written.length);
    const changes = { paths, files: new Map(), manifest: new Map() };
    const keyFiles = log?.files(written.map((part) => part.rows));
    written.forEach((part, index) => {
        const path = paths[keep + index];
        changes.manifest.set(path, describePart(part, format));
        if (!sameContent(path, part, branch, manifest))
            changes.files.set(path, { file: part.file, size: part.bytes });
        if (keyFiles)
            changes.files.set(keyFilePath(path), keyFiles[index]);
    });
    for (const stale of previous.filter((path) => !paths.includes(path))) {
        changes.files.set(stale, null);
        changes.manifest.set(stale, null);
    }
    // Key files of files gone, and of every file of a day that settles.
    for (const path of previous) {
        if (branch.has(keyFilePath(path)) && (!input.keys || !paths.includes(path)))
            changes.files.set(keyFilePath(path), null);
    }
    return changes;
}
/** The keys of a day's files; a key file that does not read is the day's fault, named. */
function readDayKeys(keyFiles) {
    try {
        return new DayKeys([...keyFiles.values()]);
    }
    catch (error) {
        const bad = [...keyFiles].find(([, bytes]) => {
            try {
                new DayKeys([bytes]);
                return false;
            }
            catch {
                return true;
            }
        });
        throw new DayContentError(`${bad?.[0] ?? 'a key file'} on the data branch: ${error.message}`, bad?.[0], {
            cause: error
        });
    }
}
/**
 * The rows of some files of the day, one file after the other, each opened when its turn
 * comes and downloaded as it is read. A file whose bytes arrive but do not read is the day's
 * fault (a DayContentError naming it); a download that breaks off is the run's, and is
 * thrown as it is.
 */
async function* readFiles(input, paths, format) {
    for (const path of paths) {
        input.onReadBack?.(format);
        yield* readBranchFile(input.branch, path, format, (0,external_node_path_.join)(input.dir, `existing-${(0,external_node_path_.basename)(path)}`));
    }
}
/**
 * A file of the branch read back as rows of `format`. Bytes that arrive but do not read are
 * the file's fault (a DayContentError naming it); a download that breaks off, or the
 * runner's own disk (an error with a system code), is the run's, thrown as it is.
 */
async function* readBranchFile(branch, path, format, scratchFile) {
    const download = { failed: false };
    try {
        yield* format.readRows(watchDownload(branch.stream(path), download), path, scratchFile);
    }
    catch (error) {
        if (download.failed || error instanceof DayContentError || isSystemError(error))
            throw error;
        throw new DayContentError(error.message, path, { cause: error });
    }
}
function isSystemError(error) {
    return (typeof error.syscall === 'string' ||
        typeof error.errno === 'number');
}
async function* watchDownload(chunks, download) {
    try {
        yield* chunks;
    }
    catch (error) {
        download.failed = true;
        throw error;
    }
}
/**
 * A day's additions, into a spool of their own, one after the other. Each is sorted within
 * itself, and a day may have a couple of hundred: merged side by side, each would hold a
 * download and a reader (a Parquet row group, decoded) open for the whole merge, memory and
 * connections by the number of additions. The spool holds a few megabytes whatever their
 * number, and hands their rows back as one sorted source.
 */
async function spoolAdditions(input) {
    const spool = await Spool.create((0,external_node_path_.join)(input.dir, 'additions'));
    try {
        for await (const batch of readFiles(input, input.files.additions, input.format)) {
            for (const row of batch)
                spool.add(input.type, input.day, row);
            await spool.spillIfFull();
        }
    }
    catch (error) {
        await spool.remove();
        throw error;
    }
    return spool;
}
/**
 * How many leading parts no row to merge can fall into: parts 1, 2, … (numbered without a
 * gap), each ending before `firstTime`, the manifest's word for it trusted (an entry whose
 * size matches the blob), and its key file there when the day keeps keys. The last part is
 * always rewritten: new rows may fill it.
 */
function keptPrefix(parts, input, firstTime) {
    const { branch, manifest, format } = input;
    let keep = 0;
    for (const path of parts.slice(0, -1)) {
        const entry = manifest.files[path];
        const numbered = path.endsWith(`.${keep + 1}.${format.name}`);
        const trusted = entry !== undefined && entry.bytes === branch.size(path) && entry.lastCreationTime < firstTime;
        if (!numbered || !trusted || (input.keys && !branch.has(keyFilePath(path))))
            break;
        keep++;
    }
    return keep;
}
/**
 * Whether the branch already holds this part at `path`: the manifest's sha256 for it matches,
 * and so does the size of the file the branch has there (a file changed behind the
 * manifest's back is written again).
 */
function sameContent(path, part, branch, manifest) {
    const entry = manifest.files[path];
    return (entry !== undefined &&
        entry.sha256 === part.sha256 &&
        entry.bytes === part.bytes &&
        branch.size(path) === part.bytes);
}
function describePart(part, format) {
    return {
        format: format.name,
        rows: part.rows,
        bytes: part.bytes,
        sha256: part.sha256,
        firstCreationTime: part.firstCreationTime,
        lastCreationTime: part.lastCreationTime
    };
}
/** Rows of one format as rows of another (as they are when the formats are the same). */
async function* convertRows(source, from, to) {
    if (from === to) {
        yield* source;
        return;
    }
    for await (const batch of source)
        yield batch.map((row) => ({ ...row, payload: convertPayload(row.payload, from, to) }));
}

;// CONCATENATED MODULE: ./src/commit/day-plan.ts


/**
 * When a day settles: once its last hour is older than this, no content the Management API
 * can still list adds to it (7 days, and a day's margin for the listing's clock and late
 * blobs). A later addition (an import, a backfill from another source) is then compacted into
 * it at once.
 */
const SETTLE_AFTER_MS = LISTABLE_MS;
/**
 * A day that has this many additions is compacted even before it settles: readers glob a
 * day's files, and a schedule more often than hourly would otherwise leave hundreds of small
 * files a day (an hourly one adds at most 24 a day while the API can add to it, 192 in all).
 */
const MAX_ADDITIONS = 200;
/** Whether a day (`YYYY-MM-DD`) has settled at `now`. */
function isSettled(day, now, settleAfterMs = SETTLE_AFTER_MS) {
    return Date.parse(`${day}T00:00:00Z`) + DAY_MS + settleAfterMs <= now.getTime();
}
/**
 * How a commit writes new rows into a day: beside its files, as an addition, when the day can
 * still grow and its files have their keys; otherwise by compacting the day into its
 * canonical layout: a day with no files yet (its first files are canonical), a settled day, a
 * day in another format (it is converted), a day written before key files existed, or one
 * with MAX_ADDITIONS additions.
 */
function dayWrite(files, settled) {
    const empty = files.parts.length === 0 && files.additions.length === 0;
    if (empty || settled || files.converted.length > 0 || !files.keyed || files.additions.length >= MAX_ADDITIONS)
        return 'compact';
    return 'add';
}

;// CONCATENATED MODULE: ./src/commit/merge-days.ts









/**
 * A day's snapshot larger than this is split into parts. GitHub warns about files over
 * 50 MB and refuses them over 100 MB, and its Git Data API has been measured to refuse
 * blobs of 40 MiB; smaller files also stay quick to fetch one by one (raw URLs, the
 * contents API) and to read back and merge on the next run.
 */
const MAX_DAY_FILE_BYTES = 32 * 1024 * 1024;
/**
 * Merges every day the spool holds, and every day with rows held from earlier runs, into the
 * branch's files (updating `manifest` to match), with the day observers watching; compacts
 * the settled days that still have additions, and lets go of the keys and observer state of
 * settled days: the files to write. A day that cannot be merged fails alone: its new rows are
 * held on the branch, and every other day lands.
 */
async function mergeDays(files, manifest, input) {
    const changes = {
        changed: new Map(),
        added: [],
        compacted: [],
        settled: [],
        derived: input.observers.map((observer) => ({
            title: observer.title,
            folder: observer.folder,
            days: []
        })),
        filesChanged: 0,
        heldDays: { held: [], merged: [] }
    };
    const spooled = new Map(input.spool.entries().map((day) => [`${day.type} ${day.day}`, day]));
    const heldFiles = new Map(findHeldFiles(files.paths()).map((held) => [`${held.type} ${held.day}`, held]));
    const retained = (day) => !input.keepFromDay || day >= input.keepFromDay;
    const incomingDays = [...new Set([...spooled.keys(), ...heldFiles.keys()])].filter((key) => retained(key.slice(key.indexOf(' ') + 1)));
    for (const [index, key] of incomingDays.entries()) {
        const fromSpool = spooled.get(key);
        const held = heldFiles.get(key);
        const { type, day } = fromSpool ?? held;
        const incoming = (withHeld = true) => incomingRows(files, input, type, day, fromSpool, withHeld ? held : undefined);
        await mergeOrHold(files, manifest, input, changes, { type, day, dir: (0,external_node_path_.join)(input.dir, `day-${index + 1}`) }, {
            incoming,
            heldPaths: held?.paths ?? [],
            nextHeldNumber: held?.nextNumber ?? 1
        });
    }
    // Settled days nothing new came for: their additions are compacted, their keys let go of.
    const merged = new Set(incomingDays);
    for (const [index, { type, day }] of daysWithAdditionsOrKeys(files.paths()).entries()) {
        if (merged.has(`${type} ${day}`) || !retained(day) || !isSettled(day, input.now, input.settleAfterMs))
            continue;
        const found = dayFiles(files, type, day, input.format);
        if (found.additions.length > 0 || found.converted.some((entry) => entry.paths.some(isAddition))) {
            await mergeOrHold(files, manifest, input, changes, { type, day, dir: (0,external_node_path_.join)(input.dir, `settled-${index + 1}`) });
            continue;
        }
        const kept = [
            ...[...found.parts, ...found.converted.flatMap((entry) => entry.paths)].map(keyFilePath),
            ...input.observers.flatMap((observer) => observer.stateOf(type, day))
        ];
        for (const path of kept.filter((path) => files.has(path)))
            changes.changed.set(path, null);
        changes.settled.push(`${type} ${day}`);
        // A day held for a compaction it no longer needs (its broken addition removed by hand).
        changes.heldDays.merged.push({ type, day });
    }
    return changes;
}
/**
 * A day's new rows: what the spool holds for it and what earlier runs held, as one sorted
 * stream (opened anew on each call: a day that fails is read again to be held).
 */
function incomingRows(files, input, type, day, fromSpool, held) {
    const sources = [];
    if (fromSpool)
        sources.push(input.spool.read(type, day));
    for (const path of held?.paths ?? [])
        sources.push(readHeld(files, path, input));
    if (sources.length === 0)
        return undefined;
    // Held rows may be anywhere in the day.
    const firstTime = held ? `${day}T00:00:00Z` : fromSpool.firstTime;
    return { rows: sources.length === 1 ? sources[0] : mergeSorted(sources), firstTime };
}
/** A held file's rows, in the run's format. */
async function* readHeld(files, path, input) {
    yield* convertRows(readBranchFile(files, path, CSV_FORMAT, (0,external_node_path_.join)(input.dir, 'held-scratch')), CSV_FORMAT, input.format);
}
/**
 * Merges a day (adds its new rows, or compacts it); when the day's content stops that (see
 * DayContentError), holds its new rows on the branch instead, in CSV, and records why. Held
 * rows of earlier runs go with the new ones: merged, their files are removed; held again,
 * rewritten with them, unless a held file is what does not read: it is left for a hand to
 * fix, and the new rows are held beside it.
 */
async function mergeOrHold(files, manifest, input, changes, day, rows) {
    try {
        try {
            await mergeOneDay(files, manifest, input, changes, { ...day, incoming: rows?.incoming() });
        }
        catch (error) {
            // A key file is derived from the day's files: one that does not read is written again
            // by a compaction of the day, which reads the files instead.
            if (!(error instanceof DayContentError && error.file && isKeyFile(error.file)))
                throw error;
            const again = { ...day, dir: (0,external_node_path_.join)(day.dir, 'again'), incoming: rows?.incoming() };
            await mergeOneDay(files, manifest, input, changes, again, 'compact');
        }
        for (const path of rows?.heldPaths ?? [])
            changes.changed.set(path, null);
        changes.heldDays.merged.push({ type: day.type, day: day.day });
    }
    catch (error) {
        if (!(error instanceof DayContentError))
            throw error;
        let failure = error;
        let held = rows ? await holdRows(input, day, rows, failure.file) : { rows: 0, paths: [] };
        if ('brokenHeld' in held) {
            // A held file does not read either: it is left for a hand, the new rows held beside it.
            const { brokenHeld } = held;
            failure = new DayContentError(`${failure.message} (and ${brokenHeld.file} does not read either: ${brokenHeld.message})`, failure.file);
            held = await holdRows(input, day, rows, brokenHeld.file);
        }
        if ('paths' in held)
            for (const [path, content] of held.paths)
                changes.changed.set(path, content);
        const count = 'rows' in held ? held.rows : 0;
        changes.heldDays.held.push({
            type: day.type,
            day: day.day,
            ...(failure.file ? { file: failure.file } : {}),
            reason: failure.message,
            rows: count
        });
    }
}
/**
 * Writes a day's new rows as held files (CSV): with the rows held before, in their place, or,
 * when `broken` names a held file that does not read, without them and beside them. Returns
 * the files to write (null: remove), or the held file found broken while reading them.
 */
async function holdRows(input, day, rows, broken) {
    const heldFileBroken = broken !== undefined && rows.heldPaths.includes(broken);
    const incoming = rows.incoming(!heldFileBroken);
    if (!incoming)
        return { rows: 0, paths: [] };
    const dir = (0,external_node_path_.join)(day.dir, heldFileBroken ? 'held-beside' : 'held');
    await (0,external_node_fs_promises_.mkdir)(dir, { recursive: true });
    const writer = CSV_FORMAT.partWriter(dir, input.maxFileBytes ?? MAX_DAY_FILE_BYTES);
    let count = 0;
    try {
        for await (const batch of convertRows(incoming.rows, input.format, CSV_FORMAT)) {
            for (const row of batch)
                writer.write(row);
            count += batch.length;
        }
    }
    catch (error) {
        if (!heldFileBroken && error instanceof DayContentError && error.file && rows.heldPaths.includes(error.file))
            return { brokenHeld: error };
        throw error;
    }
    // Beside a broken held file, under the next numbers; otherwise in place of the old ones.
    const first = heldFileBroken ? rows.nextHeldNumber : 1;
    const paths = writer
        .finish()
        .map((part, index) => [heldPath(day.type, day.day, first + index), { file: part.file, size: part.bytes }]);
    if (!heldFileBroken)
        for (const path of rows.heldPaths)
            if (!paths.some(([written]) => written === path))
                paths.push([path, null]);
    return { rows: count, paths };
}
/**
 * The commit's held-day changes, with days the ledger holds rows for whose held files are no
 * longer on the branch (removed by hand) counted as merged: nothing is left to merge, and
 * their failure would otherwise never clear.
 */
function withHeldFilesGone(ledger, files, changes) {
    const onBranch = new Set(findHeldFiles(files.paths()).map((held) => `${held.type} ${held.day}`));
    const heldNow = new Set(changes.held.map((held) => `${held.type} ${held.day}`));
    const gone = Object.entries(ledger.contentTypes).flatMap(([type, entry]) => (entry.held ?? [])
        .filter((held) => held.rows > 0 && !onBranch.has(`${type} ${held.day}`) && !heldNow.has(`${type} ${held.day}`))
        .map((held) => ({ type, day: held.day })));
    return gone.length === 0 ? changes : { ...changes, merged: [...changes.merged, ...gone] };
}
/**
 * Adds rows to one day, or compacts it, with the observers watching; records what changed.
 * Without `incoming`, a settled day is compacted.
 */
async function mergeOneDay(files, manifest, input, changes, day, forced) {
    const found = dayFiles(files, day.type, day.day, input.format);
    const settled = isSettled(day.day, input.now, input.settleAfterMs);
    const write = forced ?? (day.incoming ? dayWrite(found, settled) : 'compact');
    const watches = await Promise.all(input.observers.map((observer) => observer.watch(day.type, day.day, files, write === 'compact', input.format)));
    const watching = watches.filter((watch) => watch !== undefined);
    const dayInput = {
        ...day,
        branch: files,
        manifest,
        files: found,
        maxPartBytes: input.maxFileBytes ?? MAX_DAY_FILE_BYTES,
        format: input.format,
        observe: watching.length === 0 ? undefined : (row) => watching.forEach((watch) => watch.observe(row)),
        observeExisting: watching.some((watch) => watch.needsWholeDay),
        // Forced (a key file did not read): every part is written again, its key file with it.
        rewriteAll: forced === 'compact',
        onReadBack: input.onReadBack
    };
    const merge = write === 'add' && dayInput.incoming
        ? await addToDay({ ...dayInput, incoming: dayInput.incoming })
        : await compactDay({ ...dayInput, keys: !settled });
    watches.forEach((watch, observer) => {
        const written = watch?.files(merge.added, settled);
        if (!written || written.size === 0)
            return;
        for (const [path, content] of written)
            changes.changed.set(path, content);
        changes.derived[observer].days.push(day.day);
    });
    for (const [path, content] of merge.files)
        changes.changed.set(path, content);
    for (const [path, entry] of merge.manifest) {
        if (entry)
            manifest.files[path] = entry;
        else
            delete manifest.files[path];
    }
    changes.filesChanged += [...merge.files.keys()].filter((path) => path.startsWith('audit/')).length;
    if (merge.added > 0)
        changes.added.push({ type: day.type, day: day.day, records: merge.added, paths: merge.paths });
    if (write === 'compact' && found.additions.length > 0)
        changes.compacted.push(`${day.type} ${day.day}`);
}

;// CONCATENATED MODULE: ./src/commit/build-commit.ts











/**
 * Merges collected rows into the day files of the branch tip, and updates the ledger and
 * the manifest to match, all for one commit: state never moves ahead of data.
 * Returns undefined when nothing worth a commit changed. `report` receives the figures of
 * the last build (the one that is committed).
 */
async function buildCommit(files, input, report) {
    const manifestText = (await files.read(MANIFEST_PATH))?.toString('utf8');
    const manifest = parseManifest(manifestText);
    const days = await mergeDays(files, manifest, input);
    const changed = days.changed;
    // Read as text too: the ledger is written again only when its text would change.
    const ledgerText = (await files.read(LEDGER_PATH))?.toString('utf8');
    const ledger = ledgerText === undefined ? emptyLedger() : parseLedger(ledgerText, LEDGER_PATH);
    const updated = applyUpdates(ledger, input.updates, input.now, undefined, input.graphUpdate);
    const held = applyHeldDays(updated.ledger, withHeldFilesGone(updated.ledger, files, days.heldDays), input.now);
    // Error messages are saved on the branch: no value the run masked goes with them.
    const nextLedger = input.redact ? redactLedger(held.ledger, input.redact) : held.ledger;
    const changes = { ...updated.changes, recovered: [...updated.changes.recovered, ...held.recovered] };
    const failures = { ...changes, open: allFailures(nextLedger) };
    const nextLedgerText = renderLedger(nextLedger);
    // A pass that collected nothing from the API (an import alone) leaves the ledger as it is,
    // but for the days it could not merge: it records API collection, and imported records
    // come from no blob.
    const collected = input.updates.length > 0 || input.graphUpdate !== undefined;
    const heldChanged = days.heldDays.held.length > 0 || held.recovered.length > 0;
    if ((collected || heldChanged) &&
        nextLedgerText !== ledgerText &&
        (changed.size > 0 || heldChanged || ledgerWorthCommitting(ledger, nextLedger, input))) {
        changed.set(LEDGER_PATH, nextLedgerText);
    }
    // Coverage as the branch will hold it: the manifest with this build's days, the ledger as
    // committed (or as it stands, when this build leaves it).
    const committedLedger = changed.has(LEDGER_PATH) ? nextLedger : ledger;
    // A commit describes the day files the manifest lost (before the coverage, which counts them).
    if (changed.size > 0)
        await describeUnlistedDayFiles(files, manifest, (path) => changed.get(path) === null, input.dir);
    const branchCoverage = coverage(manifest, committedLedger, coverageEndDay(manifest, input.now), BRANCH_COVERAGE_DAYS);
    if (changed.size === 0) {
        report(emptyCommitReport(failures, branchCoverage));
        return undefined;
    }
    const nextManifestText = renderManifest(manifest);
    if (nextManifestText !== manifestText)
        changed.set(MANIFEST_PATH, nextManifestText);
    // The README and its chart show dates, so they ride along with commits made for data or
    // state, never make one of their own; built on each attempt's tip, they match its files.
    if (isGeneratedBranchReadme((await files.read(README_PATH))?.toString('utf8'))) {
        changed.set(README_PATH, renderBranchReadme(input.branch, branchCoverage));
        changed.set(COVERAGE_CHART_PATH, renderCoverageSvg(branchCoverage));
    }
    const recordsAdded = days.added.reduce((sum, entry) => sum + entry.records, 0);
    const built = {
        recordsAdded,
        added: days.added,
        compacted: days.compacted,
        settled: days.settled,
        filesChanged: days.filesChanged,
        derived: days.derived,
        failures,
        coverage: branchCoverage
    };
    report(built);
    return {
        files: changed,
        message: commitMessage(built, input.runUrl),
        alongside: new Set([README_PATH, COVERAGE_CHART_PATH])
    };
}
function ledgerWorthCommitting(before, after, input) {
    // Graph's queries running, waiting and failed are what the next run starts from, and what
    // it submitted counts against the tenant's allowance for a day.
    if ((input.graphUpdate?.submitted ?? 0) > 0)
        return true;
    const graphState = (ledger) => {
        if (!ledger.graph)
            return '';
        const state = renderGraphLedger({ ...ledger.graph, submissions: [] });
        return isGraphLedgerEmpty(state) ? '' : JSON.stringify(state);
    };
    if (graphState(before) !== graphState(after))
        return true;
    for (const [type, entry] of Object.entries(after.contentTypes)) {
        const previous = before.contentTypes[type];
        if (!previous)
            return true;
        if (JSON.stringify([entry.failed, entry.gaps]) !== JSON.stringify([previous.failed, previous.gaps]))
            return true;
        if (JSON.stringify(entry.fetched) !== JSON.stringify(previous.fetched))
            return true;
        if (entry.coveredUntil !== previous.coveredUntil) {
            const covered = previous.coveredUntil ? Date.parse(previous.coveredUntil) : 0;
            if (covered < input.now.getTime() - input.coverageSlackMs)
                return true;
        }
    }
    return false;
}

;// CONCATENATED MODULE: ./src/commit/commit-files.ts



/**
 * Commits files to a branch through the Git Data API, without a checkout:
 * blobs → tree on the tip's tree → commit → ref update from the tip the commit was built on
 * (compare-and-swap, never force). When another writer moved the branch first (forward, or
 * back by an erasure), the changes are rebuilt on the new tip by calling `build` again, so
 * both writers' data survives and nothing erased comes back. A missing branch is created as an orphan.
 * With `history: 'replace'` the commit has no parent and replaces the branch's history (a
 * forced compare-and-swap: retention). `afterAttempt` runs after every attempt, whatever its
 * outcome (to remove its temp files).
 */
async function commitFiles(options) {
    const { git, branch } = options;
    const maxAttempts = options.maxAttempts ?? 8;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        try {
            const { head, files, blobs } = await openBranchTip(git, branch);
            const changes = await options.build(files, attempt);
            const entries = [];
            for (const [path, content] of changes?.files ?? []) {
                const entry = treeChange(path, content);
                const current = blobs.get(path)?.sha;
                if (entry.sha !== undefined && (entry.sha === null ? current === undefined : current === entry.sha))
                    continue;
                entries.push(entry);
            }
            if (!changes || entries.every((entry) => changes.alongside?.has(entry.path)))
                return { status: 'unchanged', attempts: attempt };
            entries.sort((a, b) => (a.path < b.path ? -1 : 1));
            const tree = await git.writeTree(head?.treeSha, entries);
            // Staged files are compared only once uploaded: all of them may turn out the same.
            if (head && tree === head.treeSha)
                return { status: 'unchanged', attempts: attempt };
            const replace = options.history === 'replace';
            const commitSha = await git.createCommit(changes.message, tree, head && !replace ? [head.commitSha] : []);
            const outcome = !head
                ? await git.createRef(branch, commitSha)
                : replace
                    ? await git.replaceRef(branch, commitSha, head.commitSha)
                    : await git.updateRef(branch, commitSha, head.commitSha);
            if (outcome === 'updated' || outcome === 'created') {
                return {
                    status: 'committed',
                    commitSha,
                    changedPaths: entries.map((entry) => entry.path),
                    attempts: attempt,
                    createdBranch: outcome === 'created'
                };
            }
        }
        finally {
            await options.afterAttempt?.(attempt);
        }
        const delay = Math.random() * Math.min(8_000, 250 * 2 ** attempt);
        options.log?.(`Branch '${branch}' moved while committing (attempt ${attempt}); rebuilding on the new tip in ${Math.round(delay)} ms.`);
        await (0,promises_.setTimeout)(delay);
    }
    throw new Error(`Branch '${branch}' kept moving while committing; gave up after ${maxAttempts} attempts. ` +
        `Give concurrent runs a workflow 'concurrency:' group, then run again: nothing was lost, the next run collects the same data.`);
}
/** A path's new content as a tree change, with the blob sha it will have. */
function treeChange(path, content) {
    if (content === null)
        return { path, sha: null };
    if (typeof content === 'string' || Buffer.isBuffer(content)) {
        const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
        return { path, sha: gitBlobSha(bytes), content: { bytes } };
    }
    return { path, sha: undefined, content };
}
/** The sha git gives a blob with this content, to skip uploading files that did not change. */
function gitBlobSha(content) {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    return (0,external_node_crypto_.createHash)('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

// EXTERNAL MODULE: ./node_modules/csv-parse/lib/index.js + 8 modules
var lib = __webpack_require__(5377);
;// CONCATENATED MODULE: ./src/import/export-format.ts
const CLASSIC = ['CreationDate', 'UserIds', 'Operations', 'AuditData'];
const SEARCH = ['RecordId', 'CreationDate', 'RecordType', 'Operation', 'UserId', 'AuditData'];
/** The expected headers, for error messages. */
const EXPECTED_HEADERS = `'${CLASSIC.join(',')}' (classic) or '${SEARCH.join(',')},AssociatedAdminUnits,AssociatedAdminUnitsNames' (audit search)`;
/**
 * The layout of an export from its header row (names compared trimmed and without regard to
 * case, in any order, other columns allowed), or undefined when it is not an audit export.
 */
function detectExportFormat(header) {
    const names = header.map((name) => name.trim().toLowerCase());
    const has = (wanted) => wanted.every((name) => names.includes(name.toLowerCase()));
    const auditData = names.indexOf('auditdata');
    if (auditData < 0)
        return undefined;
    if (has(SEARCH))
        return { format: 'search', auditData, columns: names.length };
    if (has(CLASSIC))
        return { format: 'classic', auditData, columns: names.length };
    return undefined;
}
/**
 * Why a file's first bytes cannot start an export that we read, when they say so plainly
 * (Excel's "Unicode Text" and other UTF-16 saves); undefined when they may.
 */
function explainEncoding(start) {
    const utf16 = (start[0] === 0xff && start[1] === 0xfe) ||
        (start[0] === 0xfe && start[1] === 0xff) ||
        (start.length >= 2 && (start[0] === 0 || start[1] === 0));
    if (utf16)
        return 'it is UTF-16 text (saved as "Unicode Text"?); save it as "CSV UTF-8" or use the file Purview exported';
    if (start[0] === 0x50 && start[1] === 0x4b && start[2] === 0x03 && start[3] === 0x04)
        return 'it is a ZIP or an Excel workbook (.xlsx); export or save it as CSV';
    return undefined;
}

;// CONCATENATED MODULE: ./src/import/read-export.ts





/** A file given to `import` that cannot be imported; the message names it and says what to do. */
class ImportFileError extends Error {
    constructor(message) {
        super(message);
        this.name = 'ImportFileError';
    }
}
/**
 * Opens an export and reads its header, streaming the file through csv-parse: quoted fields
 * may hold commas, doubled quotes and CR, LF or CRLF line breaks (a pretty-printed
 * AuditData spans many lines), rows may end in CRLF or LF, a UTF-8 byte order mark is
 * dropped. A `#TYPE …` line (PowerShell's Export-Csv) or `sep=,` line (Excel) before the
 * header is skipped. `shown` is how messages name the file.
 *
 * Throws ImportFileError for a file that is not an audit export (empty, UTF-16, a workbook,
 * another header) and, while rows are read, for one that is not valid CSV (a quote never
 * closed: a file cut off); a row that is valid CSV but not a valid record is the caller's.
 */
async function openExport(file, shown) {
    await checkStart(file, shown);
    const parser = (0,lib/* parse */.qg)({
        bom: true,
        raw: true,
        relax_column_count: true,
        // Either ending, even mixed in one file (csv-parse would otherwise take the first row's).
        record_delimiter: ['\r\n', '\n'],
        // A quote never closed would otherwise hold the rest of the file as one field.
        max_record_size: MAX_EXPORT_RECORD_CHARS
    });
    (0,external_node_stream_.pipeline)((0,external_node_fs_.createReadStream)(file, { highWaterMark: read_export_READ_CHUNK_BYTES }), parser, () => {
        // Errors reach the reader through the parser, which the pipeline destroys with them.
    });
    const records = parser[Symbol.asyncIterator]();
    // csv-parse's own line count counts a CRLF inside a quoted field twice: lines are counted
    // here, from each row's raw text.
    let line = 1;
    const next = async () => {
        let result;
        try {
            result = await records.next();
        }
        catch (error) {
            if (error.code === 'CSV_MAX_RECORD_SIZE')
                throw new ImportFileError(`${shown}:${line}: a row runs past ${MAX_EXPORT_RECORD_CHARS / 1024 ** 2} MiB, far beyond any audit record: a quote opened there is likely never closed. ` +
                    `Was the file edited by hand? Export it again from Microsoft Purview.`);
            throw new ImportFileError(`${shown}:${line}: not valid CSV (${error.message}). Was the file cut off or edited by hand? Export it again from Microsoft Purview.`);
        }
        if (result.done)
            return undefined;
        const row = { line, fields: result.value.record };
        line += lineBreaks(result.value.raw);
        return { row, raw: result.value.raw };
    };
    let first = await next();
    while (first && /^(#TYPE\b|sep=)/i.test(first.row.fields[0] ?? ''))
        first = await next();
    const layout = first ? detectExportFormat(first.row.fields) : undefined;
    if (!first || !layout) {
        parser.destroy();
        const seen = first ? `its header is '${first.raw.trim().slice(0, 120)}'` : 'it has no header row';
        throw new ImportFileError(`${shown} is not a Microsoft Purview audit log export: ${seen}; expected ${EXPECTED_HEADERS}. ` +
            `Export the audit search from Microsoft Purview as CSV, or leave this file out of 'import'.`);
    }
    async function* rows() {
        try {
            for (let entry = await next(); entry; entry = await next())
                yield entry.row;
        }
        finally {
            parser.destroy();
        }
    }
    return { layout, rows: rows(), close: () => parser.destroy() };
}
const read_export_READ_CHUNK_BYTES = 1024 * 1024;
/**
 * The longest row an export may have, in characters. An audit record's AuditData is a few
 * kilobytes, rarely a few hundred; the bound only stops one open quote from holding the rest
 * of a file of gigabytes in memory.
 */
const MAX_EXPORT_RECORD_CHARS = 8 * 1024 * 1024;
/** Refuses files whose first bytes show they cannot be a UTF-8 CSV export. */
async function checkStart(file, shown) {
    const handle = await (0,external_node_fs_promises_.open)(file, 'r').catch((error) => {
        throw new ImportFileError(`${shown} cannot be read (${error.code ?? error.message}).`);
    });
    try {
        const start = Buffer.alloc(4);
        const { bytesRead } = await handle.read(start, 0, 4, 0);
        if (bytesRead === 0)
            throw new ImportFileError(`${shown} is empty, not a Microsoft Purview audit log export; leave it out of 'import'.`);
        const problem = explainEncoding(start.subarray(0, bytesRead));
        if (problem)
            throw new ImportFileError(`${shown} cannot be imported: ${problem}.`);
    }
    finally {
        await handle.close();
    }
}
/** Line breaks in a row's raw text (CRLF, LF or a lone CR each end one line), its own ending included. */
function lineBreaks(raw) {
    let count = 0;
    for (let at = raw.indexOf('\n'); at >= 0; at = raw.indexOf('\n', at + 1))
        count++;
    for (let at = raw.indexOf('\r'); at >= 0; at = raw.indexOf('\r', at + 1))
        if (raw.charCodeAt(at + 1) !== 0x0a)
            count++;
    return count;
}

;// CONCATENATED MODULE: ./src/import/find-exports.ts



/**
 * The files the `import` patterns match, relative to the workspace (GITHUB_WORKSPACE, where
 * actions/checkout puts the repository), in a stable order, each once. Directories are
 * ignored. A pattern that matches no file is an error: an import that silently imports
 * nothing would look like a success.
 */
async function findExports(patterns, workspace) {
    const found = new Map();
    const root = await (0,external_node_fs_promises_.realpath)(workspace);
    for (const pattern of patterns) {
        let matched = 0;
        for await (const match of (0,external_node_fs_promises_.glob)(pattern, { cwd: workspace })) {
            const path = (0,external_node_path_.resolve)(workspace, match);
            if (!(await (0,external_node_fs_promises_.stat)(path)).isFile())
                continue;
            // Exports come from the repository: a pattern (`../`, an absolute path) or a link that
            // leads out of the workspace would commit a runner's file to the branch.
            if (!isInside(root, await (0,external_node_fs_promises_.realpath)(path))) {
                throw new ImportFileError(`Input 'import': '${pattern}' matches ${JSON.stringify(shownPath(path, workspace))}, which is outside the workspace ` +
                    `(or a link out of it); import only files of the checked-out repository, under ${workspace}.`);
            }
            matched++;
            if (!found.has(path))
                found.set(path, { path, shown: shownPath(path, workspace) });
        }
        if (matched === 0) {
            throw new ImportFileError(`Input 'import': '${pattern}' matches no file under ${workspace}. Patterns are relative to the workspace and match files ` +
                `(for a folder, write exports/*.csv); check out the repository that holds the exports first (actions/checkout), ` +
                `and check the path and the case of the names.`);
        }
    }
    return [...found.values()].sort((a, b) => (a.shown < b.shown ? -1 : a.shown > b.shown ? 1 : 0));
}
function isInside(root, path) {
    const inside = (0,external_node_path_.relative)(root, path);
    return inside !== '' && !inside.startsWith('..') && !(0,external_node_path_.isAbsolute)(inside);
}
function shownPath(path, workspace) {
    const inside = (0,external_node_path_.relative)(workspace, path);
    return inside.startsWith('..') || (0,external_node_path_.isAbsolute)(inside) ? path : inside;
}

;// CONCATENATED MODULE: ./src/import/import-record.ts

/**
 * Turns the AuditData text of one export row into the snapshot row the API's copy of the
 * record would make: the same columns from the record's top-level fields, its Id
 * lower-cased as the key, its UTC day from `CreationTime` (the record's own time; the
 * export's CreationDate column is in the exporting user's locale and zone), its content type
 * from its workload. Records the filter refuses are `filtered`; text that is not a record
 * with a time is `bad`, with the reason.
 *
 * AuditData is written re-serialised, compactly (`JSON.stringify` of the parsed value), not
 * as the export's text. The export's JSON is not the API's bytes anyway (Purview writes it
 * again, and tools on the way re-indent it: a pretty-printed AuditData spans lines), so
 * there is no original to keep; one compact form makes the same record the same bytes
 * whichever file or tool it came through, and keeps the day files one record per line of
 * JSON. Key order and values are the export's. A record the branch already holds from the
 * API keeps the API's bytes: copies are matched by Id and time, and the branch's copy wins.
 */
function importRecord(auditData, encode, keep) {
    if (auditData.trim() === '')
        return { kind: 'bad', reason: 'AuditData is empty' };
    let value;
    try {
        value = JSON.parse(auditData);
    }
    catch (error) {
        // Where, not what: V8's message quotes the text, and the log lists no record's content
        // (a row of an export is a tenant's record, and may hold lines the runner would obey).
        const found = /position (\d+)/.exec(error.message)?.[1];
        const at = found === undefined ? undefined : Number(found);
        const where = at === undefined
            ? `${auditData.length} characters`
            : at >= auditData.length
                ? `its ${auditData.length} characters end early`
                : `at character ${at + 1} of ${auditData.length}`;
        return { kind: 'bad', reason: `AuditData is not JSON (${where})` };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
        return { kind: 'bad', reason: 'AuditData is not a JSON object' };
    return auditRecordRow(value, encode, keep);
}

;// CONCATENATED MODULE: ./src/import/import-exports.ts




/** How many bad rows a report keeps in detail; the count goes on. */
const MAX_BAD_ROWS_KEPT = 200;
/** How many bad rows the log shows one by one. */
const MAX_BAD_ROWS_LOGGED = 50;
/**
 * Finds the files the patterns match and reads each one's header, before anything else of
 * the run happens: a file that is not an audit export fails the run here, with its name and
 * what was expected, before any request or commit.
 */
async function prepareImport(patterns, workspace) {
    const files = [];
    for (const found of await findExports(patterns, workspace)) {
        const opened = await openExport(found.path, found.shown);
        opened.close();
        files.push({ ...found, format: opened.layout.format });
    }
    return files;
}
/**
 * Streams the rows of the exports into a spool, each record to its content type and UTC
 * day, through the run's filter: memory holds a row at a time, whatever the files' size.
 * A row that is not a record (wrong field count, AuditData not a JSON object, no
 * CreationTime) is counted and reported with its file and line, never dropped silently.
 *
 * Reading can stop once a spool holds enough rows for one commit and go on into the next
 * spool from the row where it stopped (`fill`), so that records-per-commit holds for imports
 * as it does for collection.
 */
class ExportImport {
    exports;
    options;
    report = { files: [], rows: 0, records: 0, filtered: 0, badRows: 0, bad: [], byType: {} };
    next = 0;
    current;
    constructor(exports, options) {
        this.exports = exports;
        this.options = options;
    }
    /** How many files are imported. */
    get files() {
        return this.exports.length;
    }
    /** Whether every row of every file has been read. */
    get done() {
        return this.current === undefined && this.next >= this.exports.length;
    }
    /**
     * Reads rows into `spool` until every file is read or, with `maxRecords`, until the spool
     * holds that many rows. Returns whether every file is read.
     */
    async fill(spool, maxRecords = Infinity) {
        try {
            while (!this.done && spool.rows < maxRecords) {
                const current = this.current ?? (await this.open());
                const next = await current.rows.next();
                if (next.done)
                    this.finishFile(current);
                else if (this.take(current, next.value, spool) && current.counts.records % SPILL_CHECK_ROWS === 0)
                    await spool.spillIfFull();
            }
        }
        catch (error) {
            await this.current?.rows.return(undefined);
            throw error;
        }
        await spool.spillIfFull();
        if (this.done && this.report.badRows > MAX_BAD_ROWS_LOGGED) {
            this.options.log?.(`... ${this.report.badRows - MAX_BAD_ROWS_LOGGED} more bad rows; the job summary lists the first ${MAX_BAD_ROWS_KEPT}.`);
        }
        return this.done;
    }
    async open() {
        const file = this.exports[this.next++];
        const { layout, rows } = await openExport(file.path, file.shown);
        this.current = {
            file,
            rows,
            columns: layout.columns,
            auditData: layout.auditData,
            counts: { file: file.shown, format: layout.format, rows: 0, records: 0, filtered: 0, bad: 0 }
        };
        return this.current;
    }
    /** Handles one row; true when it became a record in the spool. */
    take(current, { line, fields }, spool) {
        const { counts } = current;
        if (fields.length === 1 && fields[0] === '')
            return false;
        counts.rows++;
        this.report.rows++;
        if (fields.length !== current.columns) {
            this.bad(current, line, `${fields.length} fields where the header has ${current.columns}`);
            return false;
        }
        const outcome = importRecord(fields[current.auditData] ?? '', this.options.encode, this.options.filter);
        if (outcome.kind === 'bad')
            this.bad(current, line, outcome.reason);
        else if (outcome.kind === 'filtered') {
            counts.filtered++;
            this.report.filtered++;
        }
        else {
            spool.add(outcome.type, dayOf(outcome.row.time), outcome.row);
            counts.records++;
            this.report.records++;
            this.report.byType[outcome.type] = (this.report.byType[outcome.type] ?? 0) + 1;
            return true;
        }
        return false;
    }
    bad(current, line, reason) {
        current.counts.bad++;
        this.report.badRows++;
        if (this.report.bad.length < MAX_BAD_ROWS_KEPT)
            this.report.bad.push({ file: current.file.shown, line, reason });
        if (this.report.badRows <= MAX_BAD_ROWS_LOGGED)
            this.options.log?.(`${current.file.shown}:${line}: bad row, not imported: ${reason}.`);
    }
    finishFile(current) {
        const { counts } = current;
        this.report.files.push(counts);
        this.current = undefined;
        this.options.log?.(`${counts.file} (${counts.format} export): ${counts.rows} rows, ${counts.records} records` +
            `${counts.filtered > 0 ? `, ${counts.filtered} left out by the filters` : ''}${counts.bad > 0 ? `, ${counts.bad} bad rows` : ''}.`);
    }
}
/** Rows between two checks of the spool's memory budget (the check is cheap, an await per row is not). */
const SPILL_CHECK_ROWS = 256;

;// CONCATENATED MODULE: ./src/plan/plan-run.ts





/**
 * Plans a run from the branch's ledger: a scheduled run starts where every content type is
 * covered (within the API's 7 days), and windows earlier runs failed on are retried first.
 * The same for a real run and a dry run, so a dry run shows what would really be listed.
 */
function planRun(request, ledger, now) {
    const digest = filterDigest(request.filter ?? KEEP_ALL);
    const refiltered = request.contentTypes.filter((type) => filterChanged(ledger, type, digest));
    // Earlier runs read the blobs with other filters: a scheduled run lists the API's whole reach
    // again, so that what the old filters left out comes back while the API still serves it.
    const covered = request.scope.mode !== 'scheduled'
        ? undefined
        : refiltered.length > 0
            ? new Date(Math.max(now.getTime() - RETENTION_MS + RETENTION_SAFETY_MS, 
            // Within max-segments: a run is never refused for it.
            now.getTime() - (request.maxWindows - 1) * request.windowMs))
            : coveredUntil(ledger, request.contentTypes);
    const scope = request.scope.mode === 'scheduled' && covered ? { ...request.scope, coveredUntil: covered } : request.scope;
    const plan = planWindows({ now, scope, windowMs: request.windowMs, maxWindows: request.maxWindows });
    if (refiltered.length > 0)
        plan.notes.push(`The filters (operations, workloads, record-types) differ from those earlier runs read ${refiltered.join(', ')} with: ` +
            `what the API still serves is read again, so that records the old filters left out come back.`);
    const retries = retryWindows(ledger, request.contentTypes, plan, now);
    const planned = request.contentTypes.flatMap((type) => plan.windows.map((range) => ({ type, range, retry: false })));
    return { plan, windows: [...retries, ...planned], retried: retries.length };
}
/**
 * Windows earlier runs failed on, still inside the API's reach, that this run's plan does
 * not list anyway: they are retried before anything else. Older ones become gaps when the
 * ledger is next written.
 */
function retryWindows(ledger, contentTypes, plan, now) {
    const oldest = now.getTime() - RETENTION_MS + RETENTION_SAFETY_MS;
    return failedWindows(ledger, contentTypes).flatMap(({ type, failure }) => {
        const start = parseInstant(failure.start);
        const end = parseInstant(failure.end);
        if (!start || !end || start.getTime() < oldest)
            return [];
        if (start >= plan.from && end <= plan.to)
            return [];
        return [{ type, range: { start, end }, retry: true }];
    });
}

;// CONCATENATED MODULE: ./src/plan/preview.ts



/** Failed windows a preview names one by one; the count says how many more. */
const LISTED_RETRIES = 10;
/**
 * What a real run would list now: planned from the branch's ledger as the run would plan it
 * (coverage of a scheduled run, failed windows retried first), with notes that say what was
 * read; or from the inputs alone, saying why and what a real run would do differently.
 */
function previewRun(request, branch, now) {
    const planned = planRun(request, branch.status === 'read' ? branch.ledger : emptyLedger(), now);
    const scheduled = request.scope.mode === 'scheduled';
    const notes = [];
    if (branch.status === 'unread') {
        notes.push(`The ledger of branch '${request.dataBranch}' was not read (${branch.reason}), so this plan does not know what earlier runs did: ` +
            `a real run ${scheduled ? 'starts where they stopped (up to 7 days back) and ' : ''}first retries the windows they failed on.`);
        return { ...planned, notes };
    }
    if (!branch.branchExists) {
        notes.push(`Read ${branch.where} (read-only): it does not exist yet; the first real run creates it.`);
    }
    else if (scheduled) {
        notes.push(`Read the ledger of ${branch.where} (read-only): ${describeCoverage(request.contentTypes, branch.ledger)}.`);
    }
    else {
        notes.push(`Read the ledger of ${branch.where} (read-only) for windows earlier runs failed on.`);
    }
    if (planned.retried > 0) {
        const retries = planned.windows.filter((window) => window.retry);
        const named = retries
            .slice(0, LISTED_RETRIES)
            .map((window) => `${window.type} ${formatInstant(window.range.start)} to ${formatInstant(window.range.end)}`);
        const more = retries.length > LISTED_RETRIES ? ` and ${retries.length - LISTED_RETRIES} more` : '';
        notes.push(`Would first retry ${retries.length} window(s) earlier runs failed on: ${named.join('; ')}${more}.`);
    }
    else if (request.contentTypes.length > 0) {
        notes.push('No window of earlier runs is waiting to be retried.');
    }
    return { ...planned, notes };
}
/** Per content type, how far the ledger says earlier runs covered. */
function describeCoverage(types, ledger) {
    return types
        .map((type) => {
        const covered = ledger.contentTypes[type]?.coveredUntil;
        return covered ? `${type} covered until ${covered}` : `${type} not covered yet (the whole look-back is listed)`;
    })
        .join(', ');
}

;// CONCATENATED MODULE: ./src/report/progress.ts

function describeProgress(counts, elapsedMs) {
    const seconds = Math.max(1, Math.round(elapsedMs / 1000));
    const imported = counts.recordsImported ?? 0;
    const rate = Math.round((counts.recordsReceived + imported) / seconds);
    return (`Progress after ${formatElapsed(seconds)}: ` +
        (imported > 0 ? `${countText(imported)} records imported from exports, ` : '') +
        `${counts.windowsListed} of ${counts.windowsTotal} windows listed, ` +
        `${counts.blobsDownloaded} of ${counts.blobsListed} blobs downloaded, ${countText(counts.recordsReceived)} records ` +
        `(${countText(rate)} a second).`);
}
function formatElapsed(seconds) {
    const minutes = Math.floor(seconds / 60);
    return minutes === 0 ? `${seconds} s` : `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
}
/**
 * Logs `read()`'s counts every `everyMs` until stopped. The timer does not keep the process
 * alive, and a run shorter than `everyMs` logs nothing.
 */
function startProgress(read, log, everyMs = PROGRESS_EVERY_MS, now = Date.now) {
    const started = now();
    const timer = setInterval(() => log(describeProgress(read(), now() - started)), everyMs);
    timer.unref();
    return () => clearInterval(timer);
}
/**
 * Runs `work` with progress logged every `everyMs`, and stops logging however it ends
 * (resolved, thrown), so no progress line outlives the work it describes.
 */
async function withProgress(read, log, work, everyMs = PROGRESS_EVERY_MS, now = Date.now) {
    const stop = startProgress(read, log, everyMs, now);
    try {
        return await work();
    }
    finally {
        stop();
    }
}
/** At least this often (GitHub's log viewer shows no timestamps by default). */
const PROGRESS_EVERY_MS = 30_000;

;// CONCATENATED MODULE: ./src/usage/power-app-launch.ts
const LAUNCH = 'launchpowerapp';
const APP_ID = 'powerplatform.analytics.resource.power_app.id';
const APP_NAME = 'powerplatform.analytics.resource.power_app.display_name';
const ENVIRONMENT_ID = 'powerplatform.analytics.resource.environment.id';
const ENVIRONMENT_NAME = 'powerplatform.analytics.resource.environment.name';
/** Whether an `Operation` value is a launch. */
function isLaunchOperation(operation) {
    return typeof operation === 'string' && operation.toLowerCase() === LAUNCH;
}
/** The launch a record describes, or undefined when it is not a `LaunchPowerApp` record. */
function readPowerAppLaunch(record) {
    if (!isLaunchOperation(record.Operation))
        return undefined;
    const user = power_app_launch_text(record.UserKey)?.toLowerCase() ?? power_app_launch_text(record.UserId)?.toLowerCase();
    const properties = record.PropertyCollection;
    if (Array.isArray(properties)) {
        const property = (name) => {
            for (const entry of properties) {
                if (entry && typeof entry === 'object' && entry.Name === name)
                    return power_app_launch_text(entry.Value);
            }
            return undefined;
        };
        return launch(lastSegment(property(APP_ID)), property(APP_NAME), power_app_launch_text(record.EnvironmentId) ?? property(ENVIRONMENT_ID), property(ENVIRONMENT_NAME), user);
    }
    const info = additionalInfo(record.AdditionalInfo);
    return launch(power_app_launch_text(record.AppName), power_app_launch_text(info.appDisplayName), power_app_launch_text(info.environmentName), undefined, user);
}
function launch(appId, appName, environmentId, environmentName, user) {
    return {
        appId: appId?.toLowerCase() ?? '',
        ...(appName ? { appName } : {}),
        environmentId: environmentId?.toLowerCase() ?? '',
        ...(environmentName ? { environmentName } : {}),
        ...(user ? { user } : {})
    };
}
/** A non-empty trimmed string, or undefined. */
function power_app_launch_text(value) {
    if (typeof value !== 'string')
        return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
}
/**
 * The app id without a path before it: some Power Platform records give a resource path
 * (`/providers/Microsoft.PowerApps/apps/<guid>`) where others give the bare GUID.
 */
function lastSegment(id) {
    if (id === undefined)
        return undefined;
    const slash = id.lastIndexOf('/');
    return slash < 0 ? id : power_app_launch_text(id.slice(slash + 1));
}
/** `AdditionalInfo` is JSON in a string; an object, or text that is not JSON, gives what it can. */
function additionalInfo(value) {
    if (value && typeof value === 'object' && !Array.isArray(value))
        return value;
    if (typeof value !== 'string')
        return {};
    try {
        const parsed = JSON.parse(value);
        return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    }
    catch {
        return {};
    }
}

;// CONCATENATED MODULE: ./src/usage/power-apps-usage.ts


/** Columns of a Power Apps usage file, in file order. */
const USAGE_COLUMNS = [
    'Date',
    'EnvironmentId',
    'EnvironmentName',
    'AppId',
    'AppName',
    'Launches',
    'UniqueUsers'
];
/** `usage/power-apps/<YYYY>/<MM>/<YYYY-MM-DD>.csv`: the usage of one UTC day. */
function usagePath(day) {
    return `usage/power-apps/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.csv`;
}
/**
 * `state/usage/power-apps/<YYYY>/<MM>/<YYYY-MM-DD>.json`: what a day's usage was counted from
 * (PowerAppsUsage.toState), kept while the day can still grow, so that a run adding rows to
 * it counts only them.
 */
function usageStatePath(day) {
    return `state/usage/power-apps/${day.slice(0, 4)}/${day.slice(5, 7)}/${day}.json`;
}
/**
 * Counts one UTC day's Power Apps launches per app and environment: launches (each record
 * once, by its Id) and distinct users. Display names are the latest the day shows for an
 * app or environment, from either schema (an app renamed during the day shows its new name;
 * a launch in the older schema, which names no environment, borrows the name a newer record
 * gives the same environment). The result depends only on the launches added, not on their
 * order, so a day gives the same rows whatever order its parts are read in.
 *
 * Memory: the launch Ids it was shown and, per app, its distinct users (as keys), never the
 * records. Its state (toState) survives between runs without the Ids: the rows a run adds to
 * a day are new to it (see day-keys.ts), so they are counted as they come.
 */
class PowerAppsUsage {
    day;
    counts = new Map();
    ids = new Set();
    appNames = new Map();
    environmentNames = new Map();
    constructor(day) {
        this.day = day;
    }
    /** A day's usage as a state said it was (what toState wrote). */
    static fromState(state) {
        const usage = new PowerAppsUsage(state.day);
        for (const app of state.apps) {
            usage.counts.set(`${app.environmentId}\u0000${app.appId}`, { ...app, users: new Set(app.users) });
        }
        for (const [key, [name, order]] of Object.entries(state.appNames))
            usage.appNames.set(key, { name, order });
        for (const [key, [name, order]] of Object.entries(state.environmentNames))
            usage.environmentNames.set(key, { name, order });
        return usage;
    }
    /** What the usage was counted from, for fromState: the same state gives the same text. */
    toState() {
        const named = (names) => Object.fromEntries([...names].sort(([a], [b]) => compareText(a, b)).map(([key, { name, order }]) => [key, [name, order]]));
        return {
            version: 1,
            day: this.day,
            apps: this.sortedApps().map((entry) => ({
                environmentId: entry.environmentId,
                appId: entry.appId,
                launches: entry.launches,
                users: [...entry.users].sort()
            })),
            appNames: named(this.appNames),
            environmentNames: named(this.environmentNames)
        };
    }
    /** Adds a launch with its record's sort key (`time`, `id`); a second record with the same Id is not counted. */
    add(launch, time, id) {
        if (this.ids.has(id))
            return;
        this.ids.add(id);
        const key = `${launch.environmentId}\u0000${launch.appId}`;
        let entry = this.counts.get(key);
        if (!entry)
            this.counts.set(key, (entry = { environmentId: launch.environmentId, appId: launch.appId, launches: 0, users: new Set() }));
        entry.launches++;
        if (launch.user)
            entry.users.add(userKey(launch.user));
        const order = `${time}\u0000${id}`;
        if (launch.appName)
            remember(this.appNames, launch.appId, launch.appName, order);
        if (launch.environmentName)
            remember(this.environmentNames, launch.environmentId, launch.environmentName, order);
    }
    /** Launches counted so far (read once a day, when its files are written). */
    get launches() {
        let launches = 0;
        for (const entry of this.counts.values())
            launches += entry.launches;
        return launches;
    }
    /** The day's rows, sorted by environment id then app id (the same launches always give the same rows). */
    rows() {
        return this.sortedApps().map((entry) => ({
            date: this.day,
            environmentId: entry.environmentId,
            environmentName: this.environmentNames.get(entry.environmentId)?.name ?? '',
            appId: entry.appId,
            appName: this.appNames.get(entry.appId)?.name ?? '',
            launches: entry.launches,
            uniqueUsers: entry.users.size
        }));
    }
    /** By environment id then app id: the same launches always give the same rows and state. */
    sortedApps() {
        return [...this.counts.values()].sort((a, b) => compareText(a.environmentId, b.environmentId) || compareText(a.appId, b.appId));
    }
}
/** Keeps the name of the latest record (by time, then Id) for a key. */
function remember(names, key, name, order) {
    const known = names.get(key);
    if (!known || order > known.order)
        names.set(key, { name, order });
}
/** The rows as cells, in USAGE_COLUMNS order, header first. */
function usageTable(rows) {
    return [
        [...USAGE_COLUMNS],
        ...rows.map((row) => [
            row.date,
            spreadsheetSafe(row.environmentId),
            spreadsheetSafe(row.environmentName),
            spreadsheetSafe(row.appId),
            spreadsheetSafe(row.appName),
            String(row.launches),
            String(row.uniqueUsers)
        ])
    ];
}
/**
 * A cell as text to a spreadsheet. The docs suggest opening usage files in Excel, and their
 * names come from the tenant's makers: a name that starts with `=`, `+`, `-` or `@` (or a tab
 * or carriage return) would be taken for a formula (`=HYPERLINK(…)`), so it gets a leading `'`,
 * as OWASP's advice for CSV exports has it (https://owasp.org/www-community/attacks/CSV_Injection).
 * The audit files stay as the API served them, byte for byte.
 */
function spreadsheetSafe(text) {
    return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}
/**
 * How a user is counted and kept: the first 12 bytes of the SHA-256 of what identifies them
 * (UserKey, else UserId, lower-cased), base64; distinct users stay distinct, and the state
 * on the branch names nobody.
 */
function userKey(user) {
    return sha256Prefix(user, 12);
}

;// CONCATENATED MODULE: ./src/usage/power-apps-observer.ts




/** The content type that carries Power Apps launches. */
const USAGE_CONTENT_TYPE = 'Audit.General';
/**
 * Power Apps usage as a day observer: every Audit.General day a commit changes gets its usage
 * file counted again, so that late events and imports keep it exact. A day the branch holds
 * without a usage file (written before usage existed) gets one when a run brings it records,
 * even known ones.
 */
function powerAppsUsageObserver() {
    return {
        title: 'Power Apps usage',
        folder: 'usage/power-apps/',
        watch: async (type, day, branch, wholeDay, format) => type === USAGE_CONTENT_TYPE ? watchDay(day, branch, format, wholeDay) : undefined,
        stateOf: (type, day) => (type === USAGE_CONTENT_TYPE ? [usageStatePath(day)] : [])
    };
}
/**
 * A day's usage file, recounted: from every row of the day when the commit shows them all or
 * when the day's state is missing (a day written before states existed), else from the state
 * and the rows the commit adds. The state is kept while the day can grow, and removed once
 * it settles (a later addition to a settled day compacts it, which shows every row).
 */
async function watchDay(day, branch, format, wholeDay) {
    const path = usagePath(day);
    const statePath = usageStatePath(day);
    const [csvNow, stateNow] = await Promise.all([branch.read(path), branch.read(statePath)]);
    const state = wholeDay || !csvNow ? undefined : parseState(stateNow);
    const usage = state ? PowerAppsUsage.fromState(state) : new PowerAppsUsage(day);
    const needsWholeDay = !wholeDay && !state;
    return {
        needsWholeDay,
        observe: (row) => countLaunch(usage, row, format),
        files(added, settled) {
            const files = new Map();
            const set = (target, now, next) => {
                if (next ? !now?.equals(next) : now !== undefined)
                    files.set(target, next);
            };
            // The usage is the whole day's when rows came, or when the day was counted whole (a day
            // the branch held before usage existed, with no usage file, always is: it has no state).
            const counted = added > 0 || wholeDay || needsWholeDay;
            if (counted)
                set(path, csvNow, usage.launches > 0 ? renderUsageCsv(usage.rows()) : null);
            if (settled)
                set(statePath, stateNow, null);
            else if (counted)
                set(statePath, stateNow, usage.launches > 0 ? Buffer.from(`${JSON.stringify(usage.toState())}\n`) : null);
            return files;
        }
    };
}
/** A day's usage state, or undefined when there is none or it is not one (the day is then recounted). */
function parseState(bytes) {
    if (bytes === undefined)
        return undefined;
    try {
        const state = JSON.parse(bytes.toString('utf8'));
        const valid = state.version === 1 && Array.isArray(state.apps) && state.appNames && state.environmentNames;
        return valid ? state : undefined;
    }
    catch {
        return undefined;
    }
}
/**
 * Counts a row of a day if it is a launch: a row is parsed only when its Operation column
 * says LaunchPowerApp, every other row costs a look at a few bytes. The row's bytes are only
 * read, never kept or changed.
 */
function countLaunch(usage, row, format) {
    if (!isLaunch(format.field(row.payload, Column.Operation)))
        return;
    const record = auditRecordOf(format.field(row.payload, Column.AuditData));
    const launch = record && readPowerAppLaunch(record);
    if (launch)
        usage.add(launch, row.time, row.id);
}
/**
 * A usage file: RFC 4180, UTF-8, CRLF, header row, quoted where needed, the same dialect as
 * the day files (display names carry commas, quotes and line breaks).
 */
function renderUsageCsv(rows) {
    return Buffer.concat(usageTable(rows).map(encodeCsvRow));
}
const power_apps_observer_LAUNCH = Buffer.from('launchpowerapp', 'latin1');
/** Whether an Operation value spells LaunchPowerApp, in any case. */
function isLaunch(operation) {
    if (operation.length !== power_apps_observer_LAUNCH.length)
        return false;
    for (let index = 0; index < power_apps_observer_LAUNCH.length; index++) {
        // ASCII letters only: OR 0x20 lower-cases them.
        if ((operation[index] | 0x20) !== power_apps_observer_LAUNCH[index])
            return false;
    }
    return true;
}
/** The record in a row's AuditData, or undefined when it is not a JSON object. */
function auditRecordOf(json) {
    try {
        const record = JSON.parse(json.toString('utf8'));
        return record && typeof record === 'object' && !Array.isArray(record) ? record : undefined;
    }
    catch {
        return undefined;
    }
}

;// CONCATENATED MODULE: ./src/sync.ts
/**
 * The orchestrator: one sync, step by step (inputs are read and the clients wired by
 * main.ts). Check the exports to import → plan from the data branch's ledger → make sure the
 * subscriptions exist → in passes of at most `records-per-commit` records: import, collect,
 * commit data, ledger and manifest together. And the dry run: the plan alone.
 */





























/** A sync that stopped part-way: the error (`cause`), and what the run did before. */
class SyncStopped extends Error {
    progress;
    constructor(cause, progress) {
        super(errorMessage(cause), { cause });
        this.progress = progress;
        this.name = 'SyncStopped';
    }
}
/**
 * One sync: read the branch's state, plan from it (failed windows first), make sure
 * subscriptions exist, collect, and commit data, ledger and manifest together.
 * A run that fails throws SyncStopped, which carries what it did before it stopped.
 */
async function sync(settings, deps) {
    const run = new SyncRun(settings, deps);
    try {
        return await run.steps();
    }
    catch (error) {
        throw new SyncStopped(error, run.progress());
    }
}
/** What a pass collected, or an empty collection of a pass that listed nothing. */
function noCollection(remaining) {
    return { updates: [], failures: [], stats: emptyCollectionStats(), remaining };
}
/** A sync under way: its steps, and how far it got. */
class SyncRun {
    settings;
    deps;
    step = 'import files';
    plan;
    windowsTotal = 0;
    /** Counts of the passes done, and of the pass under way. */
    done = emptyCollectionStats();
    current;
    commits = [];
    report;
    importing;
    graphPlan;
    graphStats;
    format;
    filter;
    /** Text with every value the run masked replaced (none when the caller masks nothing). */
    redact;
    constructor(settings, deps) {
        this.settings = settings;
        this.deps = deps;
        this.redact = deps.redact ?? ((text) => text);
        this.format = snapshotFormat(settings.format);
        this.filter = compileFilter(settings.filter);
    }
    async steps() {
        const { deps } = this;
        // Exports are checked first: a file that is not one fails the run before any request.
        const exports = await this.checkExports();
        this.step = 'plan';
        const { plan, windows, ledger, graphPlan } = await deps.group('Plan', () => this.planFromBranch());
        this.plan = plan;
        this.windowsTotal = windows.length;
        this.graphPlan = graphPlan;
        // A run that only imports, or only queries Graph, needs no subscription.
        if (this.listsManagementApi(plan)) {
            this.step = 'subscriptions';
            await deps.group('Subscriptions', () => this.ensureSubscriptions());
        }
        // Scratch space for the collected rows and the files of each commit attempt: the branch is
        // the only truth, so whatever happens here is removed when the run ends.
        const scratch = await (0,external_node_fs_promises_.mkdtemp)((0,external_node_path_.join)(deps.tempDir, 'm365-audit-sync-'));
        try {
            return await withProgress(() => this.counts(), deps.log, () => this.passes(plan, windows, ledger, exports, scratch), deps.progressEveryMs);
        }
        finally {
            await (0,external_node_fs_promises_.rm)(scratch, { recursive: true, force: true });
        }
    }
    /** How far the run got, for the summary of a run that stopped. */
    progress() {
        const stats = emptyCollectionStats();
        addStats(stats, this.done);
        if (this.current)
            addStats(stats, this.current);
        return {
            step: this.step,
            ...(this.plan ? { plan: this.plan } : {}),
            windowsTotal: this.windowsTotal,
            stats,
            commits: [...this.commits],
            ...(this.report ? { report: this.report } : {}),
            ...(this.importing ? { imported: this.importing.report } : {})
        };
    }
    counts() {
        const { stats } = this.progress();
        return {
            windowsListed: stats.windowsListed,
            windowsTotal: this.windowsTotal,
            blobsDownloaded: stats.blobsDownloaded,
            blobsListed: stats.blobsListed,
            recordsReceived: stats.recordsReceived,
            ...(this.importing ? { recordsImported: this.importing.report.records } : {})
        };
    }
    async checkExports() {
        const { settings, deps } = this;
        if (settings.importPatterns.length === 0)
            return [];
        return deps.group('Import files', async () => {
            const files = await prepareImport(settings.importPatterns, deps.workspace);
            for (const file of files)
                deps.log(`${file.shown}: a ${file.format} Purview audit export.`);
            return files;
        });
    }
    async planFromBranch() {
        const { settings, deps } = this;
        const warn = deps.warn ?? deps.log;
        const { ledger } = await readBranchLedger(deps.git, settings.dataBranch, (message) => warn(message, 'Ledger entry dropped'));
        const now = deps.now();
        const scopes = splitScope(settings.scope, settings.source, now);
        const planned = scopes.management
            ? planRun({ ...settings, scope: scopes.management }, ledger, now)
            : { plan: emptyPlan(settings, now), windows: [], retried: 0 };
        deps.log(describePlan(planned.plan, settings.contentTypes, settings.source));
        if (planned.retried > 0)
            deps.log(`Retrying ${planned.retried} window(s) that failed in earlier runs first.`);
        for (const note of planned.plan.notes)
            deps.log(note);
        const graphPlan = settings.source === 'management-api' || settings.contentTypes.length === 0
            ? undefined
            : planGraphQueries(scopes.graph, ledger.graph, this.graphPlanContext(now));
        if (graphPlan)
            deps.log(describeGraphPlan(graphPlan));
        const leftForGraph = ledger.graph ? graphWorkLeft(ledger.graph) : 0;
        if (!graphPlan && leftForGraph > 0)
            deps.log(`${leftForGraph} Graph audit log query window(s) of earlier runs (running, waiting, failed or not settled) ` +
                `wait for a run with 'source: auto' or 'graph'; this one reads the Management API only.`);
        return { ...planned, ledger, graphPlan };
    }
    graphPlanContext(now) {
        const { settings, deps } = this;
        return {
            now,
            selection: graphSelection(settings),
            settleMs: deps.graphSettleMs ?? GRAPH_SETTLE_MS
        };
    }
    /** Whether the run lists anything from the Management API. */
    listsManagementApi(plan) {
        return (this.settings.contentTypes.length > 0 && (this.settings.source === 'management-api' || plan.windows.length > 0));
    }
    async ensureSubscriptions() {
        const outcomes = await ensureSubscriptions(this.deps.api, this.settings.contentTypes);
        const describe = {
            enabled: 'subscription enabled',
            'already-enabled': 'subscription enabled',
            started: 'subscription started now (content can take up to 12 hours to appear)',
            'start-throttled': 'subscription start refused for now (one start per 15 minutes); listing anyway'
        };
        for (const [type, outcome] of outcomes)
            this.deps.log(`${type}: ${describe[outcome]}`);
    }
    /**
     * Usually one pass; a run that imports or collects more than records-per-commit commits
     * what it holds and goes on with the rows or windows it has not read yet, on top of its own
     * commit.
     */
    async passes(plan, windows, ledger, exports, scratch) {
        const { settings, deps } = this;
        this.importing =
            exports.length > 0
                ? new ExportImport(exports, { encode: this.format.fromFields, filter: this.filter, log: deps.log })
                : undefined;
        const failures = [];
        let commitSha;
        let remaining = windows;
        let tipLedger = ledger;
        for (let pass = 1; pass === 1 || remaining.length > 0 || (this.importing && !this.importing.done); pass++) {
            const spool = await Spool.create((0,external_node_path_.join)(scratch, `spool-${pass}`));
            await this.importPass(pass, spool);
            // Graph first: a refused permission stops the run before anything is downloaded.
            const graphUpdate = pass === 1 ? await this.graphPass(spool, tipLedger, scratch) : undefined;
            const collection = await this.collectPass(pass, spool, remaining, tipLedger, plan);
            // Their messages reach the summary: none may carry a value the run masked.
            failures.push(...collection.failures.map((failure) => ({ ...failure, message: this.redact(failure.message) })));
            remaining = collection.remaining;
            const committed = await deps.group(`Commit${partSuffix(pass)}`, () => this.commitPass(pass, spool, collection, scratch, graphUpdate));
            await spool.remove();
            if (committed.status === 'committed') {
                commitSha = committed.commitSha;
                this.commits.push(committed.commitSha);
            }
            if (remaining.length > 0)
                tipLedger = (await readBranchLedger(deps.git, settings.dataBranch)).ledger;
        }
        return {
            plan,
            stats: this.done,
            failures,
            report: this.report ?? emptyReport(ledger),
            imported: this.importing?.report,
            commitSha,
            graph: this.graphStats
        };
    }
    /**
     * Runs the plan's Graph audit log queries into the spool: adopts what earlier runs left
     * running, submits within the run's share of the tenant's allowance, waits up to
     * `graph-wait`, and returns the ledger's update (undefined when there was nothing to do).
     */
    async graphPass(spool, ledger, scratch) {
        const { settings, deps, graphPlan } = this;
        if (!graphPlan || (graphPlan.windows.length === 0 && graphPlan.pending.length === 0))
            return undefined;
        const api = deps.graph;
        if (!api)
            throw new Error(`source '${settings.source}' needs a Microsoft Graph client; this run has none.`);
        this.step = 'query';
        const { update, stats } = await deps.group('Graph audit log queries', () => collectFromGraph({
            api,
            plan: graphPlan,
            spool,
            scratch,
            contentTypes: settings.contentTypes,
            encode: this.format.fromFields,
            filter: this.filter,
            queryFilters: queryFiltersOf(settings),
            selection: graphSelection(settings),
            limits: {
                ...DEFAULT_QUERY_LIMITS,
                inFlight: settings.graphLimits.inFlight,
                submissionsPerRun: submissionsLeft(ledger.graph, settings.graphLimits.submissionsPerDay, deps.now()),
                waitMs: deps.graphWaitMs ?? settings.graphLimits.waitMs,
                ...(deps.graphPollMs ? { firstPollMs: deps.graphPollMs.first, maxPollMs: deps.graphPollMs.max } : {})
            },
            settleMs: deps.graphSettleMs ?? GRAPH_SETTLE_MS,
            now: deps.now,
            sleep: deps.sleep ?? ((ms) => (0,promises_.setTimeout)(ms)),
            log: deps.log
        }));
        this.graphStats = stats;
        deps.log(describeGraphStats(stats));
        return update;
    }
    /**
     * Reads exports into the spool, up to records-per-commit. The exports come first, before
     * any download: a file that turns out not to be valid CSV fails the run before anything is
     * downloaded (or, within records-per-commit, committed).
     */
    async importPass(pass, spool) {
        const { importing, settings, deps } = this;
        if (!importing || importing.done)
            return;
        this.step = 'import';
        const done = await deps.group(`Import${partSuffix(pass)}`, () => importing.fill(spool, settings.recordsPerCommit));
        const read = importing.report;
        deps.log(`${done ? 'Imported' : 'Read so far'}: ${read.records} records from ${read.rows} rows of ${importing.files} file(s)` +
            `${read.filtered > 0 ? `, ${read.filtered} left out by the filters` : ''}; ${read.badRows} bad row(s).`);
        if (!done)
            deps.log(`Holding ${spool.rows} records (records-per-commit: ${settings.recordsPerCommit}); committing them before reading on.`);
    }
    /**
     * Lists windows into the spool, up to records-per-commit. Windows are listed once every
     * export is read: a pass that commits imported records alone leaves the windows, and the
     * ledger, for the next. A run that only imports lists none.
     */
    async collectPass(pass, spool, windows, ledger, plan) {
        const { settings, deps } = this;
        const listing = this.listsManagementApi(plan) && (!this.importing || this.importing.done);
        if (!listing)
            return noCollection(windows);
        this.step = 'collect';
        // Graph queries ran first (a refused permission stops the run before any download); in
        // that time the oldest windows of an `auto` backfill may have aged past the 7 days.
        const listable = settings.source === 'auto' && settings.scope.mode === 'backfill' ? stillListable(windows, deps.now()) : windows;
        const stats = (this.current = emptyCollectionStats());
        const collection = await deps.group(`Collect${partSuffix(pass)}`, () => collect({
            source: deps.api,
            spool,
            windows: listable,
            range: { from: plan.from, to: plan.to },
            ledger,
            concurrency: settings.concurrency,
            encode: this.format.fromBlob,
            filter: this.filter,
            filterDigest: filterDigest(settings.filter),
            maxRecords: settings.recordsPerCommit,
            now: deps.now,
            log: deps.log,
            stats
        }));
        addStats(this.done, collection.stats);
        this.current = undefined;
        const part = collection.stats;
        deps.log(`Listed ${part.windows} windows (${part.pages} pages, ${part.blobsListed} blobs); downloaded ${part.blobsDownloaded} blobs ` +
            `(${part.blobsSkipped} already collected, ${part.blobsExpired} expired), ${part.recordsReceived} records` +
            `${this.filter ? ` (${part.recordsFiltered} left out by the filters)` : ''}; ` +
            `${collection.failures.length} window(s) failed.`);
        if (collection.remaining.length > 0) {
            deps.log(`Holding ${spool.rows} records (records-per-commit: ${settings.recordsPerCommit}); committing them before the ${collection.remaining.length} window(s) left.`);
        }
        return collection;
    }
    /** Commits what a pass gathered (data, ledger and manifest in one commit), rebuilt on a moved tip. */
    async commitPass(pass, spool, collection, scratch, graphUpdate) {
        const { settings, deps } = this;
        this.step = 'commit';
        const observers = settings.usage ? [powerAppsUsageObserver()] : [];
        const attemptDir = (attempt) => (0,external_node_path_.join)(scratch, `commit-${pass}-${attempt}`);
        const keepFromDay = settings.retentionDays ? retentionCutoffDay(deps.now(), settings.retentionDays) : undefined;
        const beforeKept = keepFromDay ? spool.entries().filter((entry) => entry.day < keepFromDay) : [];
        if (beforeKept.length > 0)
            deps.log(`${beforeKept.reduce((sum, entry) => sum + entry.rows, 0)} collected row(s) of ${beforeKept.length} day(s) before ${keepFromDay} ` +
                `are not written: retention-days keeps the days from ${keepFromDay}.`);
        let built;
        const result = await commitFiles({
            git: deps.git,
            branch: settings.dataBranch,
            log: deps.log,
            afterAttempt: (attempt) => (0,external_node_fs_promises_.rm)(attemptDir(attempt), { recursive: true, force: true }),
            build: (files, attempt) => buildCommit(files, {
                updates: collection.updates,
                graphUpdate,
                spool,
                dir: attemptDir(attempt),
                branch: settings.dataBranch,
                format: this.format,
                observers,
                now: deps.now(),
                coverageSlackMs: settings.scope.mode === 'scheduled' && collection.remaining.length === 0 ? settings.scope.lookbackMs : 0,
                runUrl: deps.runUrl,
                maxFileBytes: deps.maxPartBytes,
                settleAfterMs: deps.settleAfterMs,
                onReadBack: deps.onReadBack,
                keepFromDay,
                redact: deps.redact
            }, (last) => (built = last))
        });
        deps.log(describeCommit(result, settings.dataBranch));
        if (built)
            this.report = this.report ? combineCommitReports(this.report, built) : built;
        return result;
    }
}
/**
 * The filters a Graph query carries: operations, which Graph documents and the CoE's Graph
 * mode sent. Record types and workloads are applied here only: Graph's names for them are
 * PascalCase enum members, partly undocumented, and a server-side filter that names one wrong
 * would drop records without a word. Every filter is applied again to what comes back.
 */
function queryFiltersOf(settings) {
    return settings.filter.operations.length > 0 ? { operationFilters: settings.filter.operations } : {};
}
/** The plan of a run that lists nothing from the Management API. */
function emptyPlan(settings, now) {
    return { mode: settings.scope.mode, from: now, to: now, windowMs: settings.windowMs, windows: [], notes: [] };
}
/** The log line of a commit attempt's outcome. */
function describeCommit(result, branch) {
    if (result.status === 'unchanged')
        return `Nothing new for '${branch}'; no commit.`;
    const created = result.createdBranch ? `; created the branch '${branch}'` : '';
    return `Committed ${result.commitSha} to '${branch}' (${result.changedPaths.length} files, attempt ${result.attempts}${created}).`;
}
/** How a group of the log names the passes after the first. */
function partSuffix(pass) {
    return pass === 1 ? '' : ` (part ${pass})`;
}
/** The report of a run before its first commit: the ledger's open failures, nothing added. */
function emptyReport(ledger) {
    return emptyCommitReport({ open: allFailures(ledger), recovered: [], newGaps: [] }, []);
}
/**
 * A dry run: the plan a real run would list now, and nothing written. It reads the data
 * branch's ledger (read-only) when it has a repository and a token, as a real run plans from
 * it; otherwise it says why, and plans from the inputs alone. Returns the job summary.
 */
async function dryRun(settings, inputPlan, deps) {
    const now = deps.now();
    const scopes = splitScope(settings.scope, settings.source, now);
    const collecting = settings.contentTypes.length > 0;
    const listing = collecting && scopes.management !== undefined;
    const branch = collecting ? await readBranchForPreview(settings, deps.git) : undefined;
    const preview = branch && scopes.management
        ? previewRun({ ...settings, scope: scopes.management }, branch, now)
        : { plan: inputPlan, windows: [], retried: 0, notes: [] };
    const { plan } = preview;
    const headline = describePlan(plan, settings.contentTypes, settings.source);
    deps.log(headline);
    for (const note of plan.notes.filter((note) => !inputPlan.notes.includes(note)))
        deps.notice(note);
    for (const note of preview.notes)
        deps.log(note);
    if (listing)
        deps.log(renderPlanTable(plan));
    const graphLine = collecting && settings.source !== 'management-api'
        ? `Would ${describeGraphPlan(planGraphQueries(scopes.graph, branch?.status === 'read' ? branch.ledger.graph : undefined, {
            now,
            selection: graphSelection(settings),
            settleMs: GRAPH_SETTLE_MS
        })).replace(/^Graph audit log queries: /, 'ask Graph audit log queries for ')}`
        : undefined;
    if (graphLine)
        deps.log(graphLine);
    const retentionLine = settings.retentionDays ? describeRetention(settings.retentionDays, now, branch) : undefined;
    if (retentionLine)
        deps.log(retentionLine);
    // Exports are local files: a dry run checks them too.
    const exports = settings.importPatterns.length > 0 ? await prepareImport(settings.importPatterns, deps.workspace) : [];
    for (const file of exports)
        deps.log(`Would import ${file.shown} (a ${file.format} Purview audit export).`);
    const notes = [
        ...plan.notes,
        ...preview.notes,
        ...(graphLine ? [graphLine] : []),
        ...(retentionLine ? [retentionLine] : []),
        ...exports.map((file) => `Would import ${file.shown} (${file.format} export).`)
    ];
    deps.log(branch?.status === 'read'
        ? "dry-run: the plan above is what a real run would list now; the branch's ledger was read, nothing was written."
        : 'dry-run: the plan above is what a real run would list from these inputs; nothing was requested or written.');
    return renderPlanSummary(plan, headline, notes, listing);
}
/** What retention would erase now, from the branch's file list (a dry run's line). */
function describeRetention(days, now, branch) {
    const keptFrom = retentionCutoffDay(now, days);
    if (branch?.status !== 'read')
        return `retention-days ${days} keeps the days from ${keptFrom}.`;
    const old = filesBefore(branch.paths, keptFrom);
    return old.days.length === 0
        ? `retention-days ${days} keeps the days from ${keptFrom}: the branch holds none before, nothing to erase.`
        : `${describeErasure(old, keptFrom, 'Would erase')} from the branch and its history (retention-days ${days}).`;
}
/** The branch's ledger for a dry run (GET requests alone), or why it was not read. */
async function readBranchForPreview(settings, git) {
    const { repository, dataBranch } = settings;
    if (!repository)
        return {
            status: 'unread',
            reason: "no repository to read it from (input 'repository' is empty and GITHUB_REPOSITORY is not set)",
            paths: []
        };
    // The composition root makes no GitHub client without a token.
    if (!git)
        return { status: 'unread', reason: "input 'github-token' is empty", paths: [] };
    const where = `branch '${dataBranch}' of ${repository.owner}/${repository.repo}`;
    try {
        const { ledger, exists, paths } = await readBranchLedger(git, dataBranch);
        return { status: 'read', ledger, branchExists: exists, where, paths };
    }
    catch (error) {
        return { status: 'unread', reason: `reading ${where} failed: ${errorMessage(error)}`, paths: [] };
    }
}
/** What a run's Graph windows are collected for: its content types and filters (`selectionOf`). */
function graphSelection(settings) {
    return selectionOf(settings.contentTypes, settings.filter);
}

// EXTERNAL MODULE: external "node:v8"
var external_node_v8_ = __webpack_require__(8877);
;// CONCATENATED MODULE: ./src/util/heap-growth.ts

/**
 * How much V8 lets its old generation grow past what its last full collection kept, once a
 * run reads a Parquet day back to merge into it: 60 %. Left to itself, V8 picks the factor,
 * up to 4×, from how fast it collects. Reading a day back and writing it anew makes objects
 * per row that live as long as their row group, long enough to reach the old generation,
 * which V8's choice then fills with garbage. Other runs keep V8's choice: the more frequent
 * full collections of a fixed factor cost them CPU. The figures: docs/benchmarks.md, "Heap
 * growth when a Parquet day is read back"; main.ts decides when it applies.
 */
const MERGE_HEAP_GROWING_PERCENT = 60;
/**
 * Sets that growth for the rest of the run. V8 reads the flag whenever it sets its next
 * limit, so it holds from the next collection on; the flag is the process's (the action's
 * worker is its only busy isolate).
 */
function limitHeapGrowthForMerge() {
    (0,external_node_v8_.setFlagsFromString)(`--heap-growing-percent=${MERGE_HEAP_GROWING_PERCENT}`);
}

;// CONCATENATED MODULE: ./src/commit/erase-old-days.ts






/**
 * Erases the days before what `days` of retention keep from the data branch and from its
 * history: the branch becomes one commit (no parent) holding every other file as it is, the
 * manifest and the ledger without the erased days. Committing only a deletion would leave
 * the days in the history, where anyone with read access reaches them.
 *
 * The ref moves only from the tip the rewrite was built on (a forced compare-and-swap, see
 * commitFiles): a run that committed meanwhile makes it start over on the new tip, and a run
 * in flight that built on the old history finds the branch moved and rebuilds on the
 * rewritten one, so nothing erased comes back and nothing kept is lost. A failure does not
 * touch what was committed; it fails the step, since days meant to be gone are still there.
 */
async function eraseOldDays(options) {
    const keptFrom = retentionCutoffDay(options.now, options.days);
    let erased;
    try {
        const result = await commitFiles({
            git: options.git,
            branch: options.branch,
            history: 'replace',
            maxAttempts: 5,
            build: async (files) => {
                const changes = await erasureChanges(files, keptFrom);
                erased = changes?.erased;
                return changes;
            }
        });
        if (result.status === 'unchanged' || !erased)
            return { line: `Retention: the branch holds no day before ${keptFrom}; nothing to erase.`, failed: false };
        return {
            line: `Retention: ${describeErasure(erased, keptFrom, 'erased')} from branch '${options.branch}' and its history: it is now one commit, ${result.commitSha.slice(0, 7)}.`,
            failed: false
        };
    }
    catch (error) {
        return {
            line: `Retention could not erase the days before ${keptFrom}: ${errorMessage(error)}. ` +
                `The run's data is committed; a ruleset that blocks force pushes on the data branch needs this token as a bypass actor (docs/data-governance.md).`,
            failed: true
        };
    }
}
/** The files a rewrite keeping the days from `keptFrom` changes, or undefined when none is older. */
async function erasureChanges(files, keptFrom) {
    const old = filesBefore(files.paths(), keptFrom);
    if (old.paths.length === 0)
        return undefined;
    const changed = new Map(old.paths.map((path) => [path, null]));
    const manifestText = (await files.read(MANIFEST_PATH))?.toString('utf8');
    if (manifestText !== undefined)
        changed.set(MANIFEST_PATH, renderManifest(manifestWithout(parseManifest(manifestText), new Set(old.paths))));
    const ledgerText = (await files.read(LEDGER_PATH))?.toString('utf8');
    if (ledgerText !== undefined)
        changed.set(LEDGER_PATH, renderLedger(ledgerWithout(parseLedger(ledgerText, LEDGER_PATH), keptFrom)));
    return {
        files: changed,
        erased: old,
        message: `Retention: ${describeErasure(old, keptFrom, 'erase')}\n\n` +
            `retention-days keeps the days from ${keptFrom}. The branch was rewritten as this one commit, which holds\n` +
            `every file kept as it was; the history before it, which held the erased days, was dropped.\n`
    };
}

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 14 modules
var core = __webpack_require__(6421);
;// CONCATENATED MODULE: ./src/action/log-text.ts
/**
 * A line of the log as text, never as a workflow command. The runner reads every line of a
 * step's output that starts with `::` (after blanks) as a command
 * (https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands), and
 * the action logs text that comes from outside: API and Graph error bodies, export rows and
 * file names. `@actions/core` escapes what it puts in a command (annotations, debug lines),
 * but `info` writes its text as it is, so a body holding `\n::add-mask::…` would hide log
 * lines and `\n::warning::…` forge annotations. A line that would start a command has a zero
 * width space put between its two colons: it reads the same, and the runner, which trims only
 * blanks, no longer takes it for a command. The legacy `##[` form is broken the same way.
 */
function asLogText(message) {
    return message.replace(COMMAND_LINE, (_, lineStart, blanks, marker) => `${lineStart}${blanks}${marker[0]}\u200B${marker.slice(1)}`);
}
/** The start of any line that the runner would read as a workflow command. */
const COMMAND_LINE = /(^|[\r\n])([\t\v\f \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*)(::|##\[)/g;

;// CONCATENATED MODULE: ./src/action/runtime.ts



/** The runtime of a step on a GitHub Actions runner. */
function actionsRuntime() {
    return { port: actionsPort(process.env), env: process.env, context: github/* context */._, now: () => new Date() };
}
/** The port over @actions/core. */
function actionsPort(env) {
    return {
        getInput: (name) => core/* getInput */.V4(name),
        setSecret: (value) => core/* setSecret */.Pq(value),
        getIDToken: (audience) => core/* getIDToken */.V9(audience),
        debug: (message) => core/* debug */.Yz(message),
        // Text from outside reaches the log through here: it must not become a workflow command.
        info: (message) => core/* info */.pq(asLogText(message)),
        notice: (message) => core/* notice */.lm(message),
        warning: (message, title) => core/* warning */.$e(message, title === undefined ? {} : { title }),
        error: (message, title) => core/* error */.z3(message, title === undefined ? {} : { title }),
        group: (name, work) => core/* group */.Os(name, work),
        setOutput: (name, value) => core/* setOutput */.uH(name, value),
        appendSummary: async (html) => {
            // Local runs (and some runners) have no summary file: core would throw.
            if (!env.GITHUB_STEP_SUMMARY)
                return;
            await core/* summary */.z.addRaw(html).write();
        },
        setFailed: (message) => core/* setFailed */.C1(message)
    };
}

;// CONCATENATED MODULE: ./src/main.ts
/**
 * The composition root: reads the inputs, the runner's context and the environment once,
 * wires the clients (Entra ID, the Management API, GitHub), runs the sync or the dry run,
 * and publishes what it did (outputs, job summary, annotations, the failure issue) through
 * the one port to the runner. Nothing below this file reads the environment or @actions/core.
 */


























/** The runtime of a step on a GitHub Actions runner, for the entry point. */

/**
 * One run of the action: validate inputs, then plan, sign in, collect and commit. Every
 * failure ends here, as one `::error::` per problem and a failed step.
 */
async function run(runtime) {
    const { port, env, now } = runtime;
    // Everything masked in the log, remembered for text that is saved (the failure issue).
    const masked = maskedValues((value) => port.setSecret(value));
    try {
        const context = readRunContext(runtime.context, env);
        const { settings, plan } = await port.group('Inputs', async () => {
            const inputs = {
                getInput: (name) => port.getInput(name),
                setSecret: (value) => masked.mask(value),
                env,
                currentRepository: context.repository
            };
            const validated = readSettings(inputs, now());
            port.info(describeSettings(validated.settings));
            return validated;
        });
        for (const note of plan.notes)
            port.notice(note);
        for (const warning of operationNameWarnings(settings.filter))
            port.warning(warning, 'Unknown operation name');
        const expiring = settings.credential?.kind === 'certificate' ? expiryWarning(settings.credential.certificate, now()) : undefined;
        if (expiring)
            port.warning(expiring, 'Certificate expires soon');
        const wiring = new Wiring(runtime, settings, context, masked);
        if (settings.dryRun) {
            const git = settings.repository && settings.githubToken ? wiring.github(settings.repository, 4).git : undefined;
            const preview = await dryRun(settings, plan, {
                git,
                workspace: context.workspace,
                now,
                log: (line) => port.info(line),
                notice: (line) => port.notice(line)
            });
            await port.appendSummary(wiring.redact(preview));
        }
        else {
            await runSync(wiring, settings);
        }
    }
    catch (error) {
        reportFailure(port, error);
    }
}
/** A sync, then what it did: outputs, the job summary, the failure issue, annotations. */
async function runSync(wiring, settings) {
    const { port } = wiring.runtime;
    const repository = settings.repository;
    if (!repository)
        throw new Error(`Input 'repository' is needed for a real run.`);
    // A few more connections than downloads: listing and sign-in run beside them.
    const github = wiring.github(repository, settings.concurrency + 4);
    const issues = wiring.issueTarget(github.octokit, github.git, repository);
    const result = await sync(settings, wiring.syncDependencies(github.git)).catch(async (error) => {
        // The step fails with the error as it is; the summary says what the run did before.
        const progress = error instanceof SyncStopped ? error.progress : undefined;
        // Redacted before it is rendered: escaping could hide a masked value from the redaction.
        const reason = wiring.redact(errorMessage(error));
        try {
            const issue = issues
                ? await port.group('Failure issue', () => issueAfterStop(issues, progress, wiring.issueContext(), reason))
                : undefined;
            const headline = progress?.plan ? describePlan(progress.plan, settings.contentTypes, settings.source) : '';
            await port.appendSummary(wiring.redact(renderStoppedSummary(reason, progress, headline, github.links(issue))));
        }
        catch (reportError) {
            port.warning(`The job summary of this stopped run was not written: ${errorMessage(reportError)}`);
        }
        throw error instanceof SyncStopped ? error.cause : error;
    });
    // The data is committed; from here on nothing may lose it, and a failed report only warns.
    const retention = settings.retentionDays
        ? await port.group('Retention', async () => {
            const outcome = await eraseOldDays({
                git: github.git,
                branch: settings.dataBranch,
                days: settings.retentionDays,
                now: wiring.runtime.now()
            });
            if (!outcome.failed)
                port.info(outcome.line);
            return outcome;
        })
        : undefined;
    const issue = issues
        ? await port.group('Failure issue', () => updateFailureIssue(issues, result.report.failures, wiring.issueContext()))
        : undefined;
    publish(port, result, issue);
    await port.appendSummary(wiring.redact(renderSyncSummary(result, describePlan(result.plan, settings.contentTypes, settings.source), github.links(issue))));
    if (retention)
        await port.appendSummary(renderRetentionSummary(wiring.redact(retention.line)));
    annotate(port, settings, result);
    if (retention?.failed)
        port.setFailed(wiring.redact(retention.line));
}
/** The step's outputs. */
function publish(port, result, issue) {
    port.setOutput(Outputs.RecordsAdded, result.report.recordsAdded);
    port.setOutput(Outputs.FilesChanged, result.report.filesChanged);
    port.setOutput(Outputs.CommitSha, result.commitSha ?? '');
    port.setOutput(Outputs.FailedSegments, result.failures.length + (result.graph?.failed ?? 0));
    port.setOutput(Outputs.IssueUrl, issue && issue.action !== 'none' ? issue.url : '');
    port.setOutput(Outputs.BadRows, result.imported?.badRows ?? 0);
}
/** GitHub shows 10 annotations of each kind per step; a handful says enough. */
const MAX_ANNOTATIONS = 5;
/** Annotations for what needs someone's attention, and the step's failure when windows failed. */
function annotate(port, settings, result) {
    if (result.imported && result.imported.badRows > 0) {
        const [first] = result.imported.bad;
        port.warning(`${result.imported.badRows} row(s) of the exports were not imported (listed in the log and the job summary)` +
            `${first ? `; the first: ${first.file}:${first.line}: ${first.reason}` : ''}.`, 'Bad rows in Purview exports');
    }
    for (const gap of result.report.failures.newGaps.slice(0, MAX_ANNOTATIONS)) {
        port.warning(`${gap.type} ${gap.start}: ${gap.message}`, 'Audit content no longer available from the API');
    }
    const graphFailed = result.graph?.failed ?? 0;
    const heldDays = result.report.failures.open.filter((failure) => failure.code === HELD_DAY_CODE);
    if (result.failures.length === 0 && graphFailed === 0 && heldDays.length === 0)
        return;
    for (const held of heldDays.slice(0, MAX_ANNOTATIONS)) {
        port.error(`${held.type} ${held.start.slice(0, 10)}: ${held.message}`, 'Day not merged');
    }
    for (const failure of result.failures.slice(0, MAX_ANNOTATIONS)) {
        port.error(`${failure.type} ${formatInstant(failure.start)} to ${formatInstant(failure.end)}: ${failure.message}`, `Window failed (${failure.code})`);
    }
    const graphWindows = result.report.failures.open.filter((failure) => failure.type === GRAPH_QUERIES);
    for (const failure of graphFailed > 0 ? graphWindows.slice(0, MAX_ANNOTATIONS) : []) {
        port.error(`${failure.start} to ${failure.end}: ${failure.message}`, `Graph window failed (${failure.code})`);
    }
    const failed = [
        ...(result.failures.length > 0 ? [`${result.failures.length} listing window(s)`] : []),
        ...(graphFailed > 0 ? [`${graphFailed} Graph audit log query window(s)`] : []),
        ...(heldDays.length > 0 ? [`${heldDays.length} day(s) that could not be merged (their rows are held)`] : [])
    ].join(' and ');
    const message = `${failed} failed after retries; everything else was committed` +
        `${result.commitSha ? ` (${result.commitSha.slice(0, 7)})` : ''} and the next run retries them first.`;
    if (settings.failOnError)
        port.setFailed(message);
    else
        port.warning(message);
}
function reportFailure(port, error) {
    if (error instanceof InputError && error.problems.length > 1) {
        for (const problem of error.problems)
            port.error(problem.message, `Invalid input '${problem.input}'`);
        port.setFailed(`${error.problems.length} inputs are invalid (see above); nothing was requested or written.`);
        return;
    }
    port.setFailed(errorMessage(error));
}
/** The clients of one run, built from its settings, context and environment. */
class Wiring {
    runtime;
    settings;
    context;
    masked;
    /** Settings only a test suite changes (src/action/test-hooks.ts), read once. */
    hooks;
    /** Masks every token of the run, whichever resource it is for. */
    logPresented;
    constructor(runtime, settings, context, masked) {
        this.runtime = runtime;
        this.settings = settings;
        this.context = context;
        this.masked = masked;
        this.hooks = readTestHooks(runtime.env);
        this.logPresented = logPresentedOnce(runtime.port);
    }
    /**
     * The GitHub client and Git Data API of the data branch's repository, on connections set up
     * for `connections` calls at once (through the environment's proxy, if any).
     */
    github(repository, connections) {
        const { port, env } = this.runtime;
        const endpoints = gitHubEndpoints(this.settings.githubApiUrl, this.context);
        port.info(endpoints.description);
        const proxy = configureConnections(env, connections);
        if (proxy)
            port.info(`Using the proxy ${proxy} from the environment (NO_PROXY exceptions apply).`);
        const octokit = createGitHubClient({
            token: this.settings.githubToken,
            baseUrl: endpoints.apiUrl,
            ...(this.hooks.githubPacingMs === undefined ? {} : { pacingMs: this.hooks.githubPacingMs })
        }, { debug: (message) => port.debug(message), warn: (message) => port.warning(message) });
        const links = (issue) => runLinks(endpoints.serverUrl, repository, this.settings.dataBranch, issue);
        return { octokit, git: createGitDatabase(octokit, repository), links };
    }
    /** Where the failure issue goes; none when it is off, or when the run only imports (the issue tracks API collection). */
    issueTarget(octokit, git, repository) {
        const { settings } = this;
        if (!settings.openIssue || settings.contentTypes.length === 0)
            return undefined;
        const { port } = this.runtime;
        return {
            octokit,
            git,
            ...repository,
            labels: settings.issueLabels,
            branch: settings.dataBranch,
            log: (line) => port.info(line),
            warn: (message, title) => port.warning(message, title)
        };
    }
    /** Text with every value the run masked replaced: an issue is saved on GitHub as it is written. */
    redact(text) {
        return this.masked.redact(text);
    }
    issueContext() {
        const { runUrl, repository, workflowFile } = this.context;
        return {
            branch: this.settings.dataBranch,
            now: this.runtime.now(),
            redact: (text) => this.redact(text),
            ...(runUrl ? { runUrl } : {}),
            ...(repository ? { repository } : {}),
            ...(workflowFile ? { workflowFile } : {})
        };
    }
    syncDependencies(git) {
        const { port, env, now } = this.runtime;
        const { credential } = this.settings;
        return {
            tempDir: env.RUNNER_TEMP || (0,external_node_os_.tmpdir)(),
            workspace: this.context.workspace,
            api: credential ? this.managementApi(credential) : importOnlyApi(),
            graph: credential && this.settings.graphUrl ? this.graphQueries(credential, this.settings.graphUrl) : undefined,
            graphWaitMs: this.hooks.graphWaitMs,
            graphSettleMs: this.hooks.graphSettleMs,
            graphPollMs: this.hooks.graphPollMs === undefined
                ? undefined
                : { first: this.hooks.graphPollMs, max: this.hooks.graphPollMs * 24 },
            git,
            now,
            log: (line) => port.info(line),
            warn: (message, title) => port.warning(message, title),
            redact: (text) => this.redact(text),
            group: (name, work) => port.group(name, work),
            runUrl: this.context.runUrl,
            maxPartBytes: this.hooks.maxPartBytes,
            progressEveryMs: this.hooks.progressEveryMs,
            settleAfterMs: this.hooks.settleAfterMs,
            onReadBack: holdHeapGrowthWhenReadingParquet
        };
    }
    /** Tokens for one resource, signing in with the app's credential when one is first needed. */
    tokensFor(credential, resource) {
        const { settings } = this;
        const { port } = this.runtime;
        return createTokenProvider({
            tenantId: settings.tenantId,
            clientId: settings.clientId,
            credential,
            authorityHost: settings.authorityHost,
            audience: resource,
            onToken: (token) => this.masked.mask(token),
            // The workflow's ID token is a credential too: masked whatever port hands it over.
            getIDToken: async (audience) => {
                const idToken = await port.getIDToken(audience);
                this.masked.mask(idToken);
                return idToken;
            },
            onPresented: this.logPresented
        });
    }
    /** Microsoft Graph's audit log queries, with a token of their own (`<graph-url>/.default`). */
    graphQueries(credential, graphUrl) {
        const { port } = this.runtime;
        const { graphRetryMs } = this.hooks;
        return new AuditQueryClient({
            graphUrl,
            tokens: this.tokensFor(credential, graphUrl),
            ...(graphRetryMs === undefined ? {} : { retry: { ...GRAPH_RETRY, baseDelayMs: graphRetryMs } }),
            onRetry: (what, error, attempt, delayMs) => port.info(`${what}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delayMs)} ms.`)
        });
    }
    /** The Management API client, signing in with the app's credential when it is first needed. */
    managementApi(credential) {
        const { settings } = this;
        const { port } = this.runtime;
        const tokens = this.tokensFor(credential, settings.audience);
        const { retryBaseDelayMs } = this.hooks;
        return new ActivityClient({
            audience: settings.audience,
            tenantId: settings.tenantId,
            publisherId: settings.publisherId,
            tokens,
            limiter: createQuotaLimiter({ perMinute: settings.apiQuota }),
            ...(retryBaseDelayMs === undefined ? {} : { retry: { ...DEFAULT_RETRY, baseDelayMs: retryBaseDelayMs } }),
            onRetry: (what, error, attempt, delayMs) => port.info(`${what}: attempt ${attempt} failed (${errorMessage(error)}); retrying in ${Math.round(delayMs)} ms.`)
        });
    }
}
/**
 * The run's one process-wide memory switch beyond the worker's young generation (index.ts):
 * once a Parquet day file is read back to be merged, V8's old generation may grow 1.6× past
 * what its last full collection kept, not the up to 4× it picks itself (docs/benchmarks.md,
 * "Heap growth when a Parquet day is read back"); other runs keep V8's choice.
 */
function holdHeapGrowthWhenReadingParquet(format) {
    if (format.name === 'parquet')
        limitHeapGrowthForMerge();
}
/**
 * What stands for the Management API in a run that only imports and has no credential: sync
 * lists nothing then, so a call here is a bug, said as such.
 */
function importOnlyApi() {
    const refuse = () => {
        throw new Error('This run only imports (content-types: none) and has no credential: it cannot call the Management API.');
    };
    return { listContent: refuse, fetchBlob: refuse, listSubscriptions: refuse, startSubscription: refuse };
}
/** Logs what the workflow's GitHub token presents, once: what a federated credential must match. */
function logPresentedOnce(port) {
    let logged = false;
    return (presented) => {
        if (logged || !presented)
            return;
        logged = true;
        port.info(`GitHub OIDC token: issuer ${presented.issuer}, subject ${presented.subject}, audience ${presented.audience}.`);
    };
}


/***/ })

};
