/** DICOMweb source pieces without a server: URL rules (no credentials), credentials from the environment, multipart split, retries. */
import { describe, expect, it } from 'vitest';
import { createDicomwebClient, DicomwebError, splitMultipart } from '../../main/sources/dicomweb/client';
import { authorizationHeader, credentialsFromEnv } from '../../main/sources/dicomweb/credentials';
import { parseDicomwebJobParams } from '../../main/sources/dicomweb/importDicomwebJob';
import { instanceIdentity, isDicomUid, parseDicomwebUrl, parseSinceDate, redactUrl } from '../../main/sources/dicomweb/source';

describe('DICOMweb source URL', () => {
  it('names the source without credentials and derives the HTTP base', () => {
    const s = parseDicomwebUrl('dicomweb+http://127.0.0.1:8042/dicom-web/');
    expect(s).toEqual({ url: 'dicomweb+http://127.0.0.1:8042/dicom-web', base: 'http://127.0.0.1:8042/dicom-web', host: '127.0.0.1', port: 8042 });
    expect(parseDicomwebUrl('dicomweb+https://pacs.example/wado').port).toBe(443);
    expect(instanceIdentity(s, '1.2', '1.2.3', '1.2.3.4')).toBe('dicomweb://127.0.0.1:8042/dicom-web/studies/1.2/series/1.2.3/instances/1.2.3.4');
  });

  it('refuses a URL with user:pass@ and never repeats the password', () => {
    let message = '';
    try {
      parseDicomwebUrl('dicomweb+http://alice:s3cret@pacs:8042/dicom-web');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/must not carry a user name or password/);
    expect(message).not.toContain('s3cret');
    expect(() => parseDicomwebJobParams({ url: 'dicomweb+http://tok@pacs/dicom-web' })).toThrow(/must not carry/);
    expect(redactUrl('see http://a:b@host/x')).toBe('see http://host/x');
  });

  it('refuses other schemes, queries, bad UIDs and dates', () => {
    expect(() => parseDicomwebUrl('http://pacs/dicom-web')).toThrow(/dicomweb\+http/);
    expect(() => parseDicomwebUrl('dicomweb+http://pacs/dicom-web?x=1')).toThrow(/query/);
    expect(() => parseDicomwebJobParams({ url: 'dicomweb+http://pacs/dw', study: '../../etc' })).toThrow(/Study Instance UID/);
    expect(parseDicomwebJobParams({ url: 'dicomweb+http://pacs/dw', since: '2024-02-29' })).toEqual({ url: 'dicomweb+http://pacs/dw', since: '20240229' });
    expect(parseSinceDate('2023-02-29')).toBeNull();
    expect(isDicomUid('1.2.840.10008')).toBe(true);
    for (const bad of ['', '1..2', '1.2/3', 'a.b', '1.2.3.', '9'.repeat(65)]) expect(isDicomUid(bad)).toBe(false);
  });
});

describe('DICOMweb credentials', () => {
  it('come from the environment: a bearer token first, else user and password', () => {
    expect(credentialsFromEnv({})).toBeNull();
    expect(credentialsFromEnv({ SIMILA_DICOMWEB_TOKEN: 't', SIMILA_DICOMWEB_USER: 'u' })).toEqual({ kind: 'bearer', token: 't' });
    const basic = credentialsFromEnv({ SIMILA_DICOMWEB_USER: 'u', SIMILA_DICOMWEB_PASSWORD: 'p' });
    expect(authorizationHeader(basic)).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(authorizationHeader({ kind: 'bearer', token: 'abc' })).toBe('Bearer abc');
  });
});

describe('multipart/related split', () => {
  it('returns the single application/dicom part byte for byte', () => {
    const payload = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
    const body = Buffer.concat([
      Buffer.from('--b0undary\r\nContent-Type: application/dicom\r\n\r\n'),
      payload,
      Buffer.from('\r\n--b0undary--\r\n'),
    ]);
    const parts = splitMultipart(body, 'multipart/related; type="application/dicom"; boundary=b0undary');
    expect(parts).toHaveLength(1);
    expect(Buffer.compare(parts[0]!.body, payload)).toBe(0);
    expect(() => splitMultipart(Buffer.from('--x\r\n\r\nabc'), 'multipart/related; boundary=x')).toThrow(DicomwebError);
  });
});

describe('retries', () => {
  it('retries 503 with back-off, then succeeds; does not retry 401', async () => {
    let calls = 0;
    const retries: number[] = [];
    const fake = (async () => {
      calls++;
      return calls < 3 ? new Response('busy', { status: 503 }) : new Response('[]', { status: 200, headers: { 'content-type': 'application/dicom+json' } });
    }) as typeof fetch;
    const client = createDicomwebClient({ source: parseDicomwebUrl('dicomweb+http://h:1/dw'), fetch: fake, retry: { baseDelayMs: 1, maxDelayMs: 5 }, onRetry: (r) => retries.push(r.attempt) });
    await expect(client.studies({})).resolves.toEqual([]);
    expect(retries).toEqual([1, 2]);

    calls = 0;
    const refusing = (async () => {
      calls++;
      return new Response('', { status: 401 });
    }) as typeof fetch;
    const c2 = createDicomwebClient({ source: parseDicomwebUrl('dicomweb+http://h:1/dw'), fetch: refusing, credentials: { kind: 'bearer', token: 'tok-9' } });
    const error = await c2.studies({}).catch((e: unknown) => e as DicomwebError);
    expect(error).toBeInstanceOf(DicomwebError);
    expect((error as DicomwebError).code).toBe('unauthorized');
    expect((error as DicomwebError).message).not.toContain('tok-9');
    expect(calls).toBe(1);
  });
});
