import { createGzip } from 'node:zlib';
import { afterEach, describe, expect, test } from 'vitest';
import { StreamHttpError, StreamProtocolError } from '../../src/core/errors';
import { startHttpServer, type TestServer } from '../helpers/httpServer';
import { FINISH, run, SSE, START, textPart } from './helpers';

// Answers that are not what a model stream should be: HTML pages, error statuses, wrong or missing
// content types, compressed bodies.

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const HTML = '<!doctype html>\n<html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>\n';

describe('responses that are not a plain model stream', () => {
  test('200 with an HTML page: StreamProtocolError unknown-protocol, never shown as the answer', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(HTML);
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('incomplete');
    expect(final.incomplete?.reason).toBe('error');
    expect(final.error).toBeInstanceOf(StreamProtocolError);
    expect((final.error as StreamProtocolError).type).toBe('unknown-protocol');
    expect((final.error as StreamProtocolError).line).toContain('<html>');
    expect(final.message.text).toBe('');
  });

  test('an explicit protocol: "text" still shows whatever the server sends (the caller asked for it)', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<b>bold</b>');
    });
    const { final } = await run({ api: `${server.url}/chat`, protocol: 'text' });
    expect(final.status).toBe('complete');
    expect(final.message.text).toBe('<b>bold</b>');
  });

  for (const status of [429, 500, 503]) {
    test(`HTTP ${status} with a JSON body: StreamHttpError with status and body`, async () => {
      const body = JSON.stringify({ error: { type: 'rate_limit', message: `status ${status}` } });
      server = await startHttpServer(({ res }) => {
        res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(body);
      });
      const { final } = await run({ api: `${server.url}/chat` });
      expect(final.status).toBe('incomplete');
      expect(final.incomplete?.reason).toBe('error');
      expect(final.error).toBeInstanceOf(StreamHttpError);
      expect((final.error as StreamHttpError).status).toBe(status);
      expect((final.error as StreamHttpError).body).toBe(body);
      expect(final.message.text).toBe('');
    });

    test(`HTTP ${status} with no body: StreamHttpError with status and an empty body`, async () => {
      server = await startHttpServer(({ res }) => {
        res.writeHead(status);
        res.end();
      });
      const { final } = await run({ api: `${server.url}/chat` });
      expect(final.incomplete?.reason).toBe('error');
      expect(final.error).toBeInstanceOf(StreamHttpError);
      expect((final.error as StreamHttpError).status).toBe(status);
      expect((final.error as StreamHttpError).body).toBe('');
    });
  }

  test('SSE sent as application/octet-stream: detected from the first line, full text', async () => {
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(START + textPart('Hello') + textPart(', octets') + FINISH);
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('complete');
    expect(final.protocol).toBe('ai-sdk');
    expect(final.message.text).toBe('Hello, octets');
  });

  test('gzip-encoded SSE, streamed: fetch decompresses, full text', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i} `);
    server = await startHttpServer(({ res }) => {
      res.writeHead(200, { ...SSE, 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      gzip.write(START);
      let i = 0;
      const next = () => {
        if (i === words.length) {
          gzip.end(FINISH);
          return;
        }
        gzip.write(textPart(words[i++]!));
        if (i % 50 === 0) gzip.flush(() => setImmediate(next));
        else next();
      };
      next();
    });
    const { final } = await run({ api: `${server.url}/chat` });
    expect(final.status).toBe('complete');
    expect(final.message.text).toBe(words.join(''));
  });
});
