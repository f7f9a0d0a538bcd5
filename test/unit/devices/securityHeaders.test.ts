import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  DEVICES_CONTENT_SECURITY_POLICY,
  devicesSecurityHeaders,
} from '../../../src/devices/securityHeaders.js';

function app() {
  const built = express();
  built.use('/devices', devicesSecurityHeaders());
  built.get('/devices', (_req, res) => {
    res.type('html').send('<p>devices</p>');
  });
  built.get('/devices/ticket', (_req, res) => {
    res.redirect(303, '/devices');
  });
  built.post('/devices/sign-out', (_req, res) => {
    res.status(400).json({ error: 'csrf_mismatch' });
  });
  return built;
}

const EXPECTED = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

describe('devicesSecurityHeaders', () => {
  it('exports the policy the page is served with', () => {
    expect(DEVICES_CONTENT_SECURITY_POLICY).toBe(EXPECTED['content-security-policy']);
  });

  it.each([
    ['the page', 'get', '/devices', 200],
    ['a redirect (the ticket link)', 'get', '/devices/ticket', 303],
    ['a refusal', 'post', '/devices/sign-out', 400],
  ] as const)('sets every header on %s', async (_name, method, path, status) => {
    const response = await request(app())[method](path);
    expect(response.status).toBe(status);
    expect(response.headers).toMatchObject(EXPECTED);
  });

  it('leaves routes it is not mounted on alone', async () => {
    const built = app();
    built.get('/healthz', (_req, res) => {
      res.send('ok');
    });
    const response = await request(built).get('/healthz');
    expect(response.headers['content-security-policy']).toBeUndefined();
  });
});
