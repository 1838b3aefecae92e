// A real OpenID Connect provider for the sign-on tests: the npm package oidc-provider, with one static
// client and the accounts given, and its development sign-in pages (any password; the login is the account).
// Configured by a JSON document in ENVMANAGER_TEST_OIDC_CONFIG: {issuer, port, client, accounts, extraClaims}.
// Prints "ready" once it listens. Started by tests/accounts/oidc_provider.py.
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.ENVMANAGER_TEST_OIDC_CONFIG);

const provider = new Provider(config.issuer, {
  clients: [config.client],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name', ...config.extraClaims],
  },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  pkce: { required: () => true },  // a code flow without S256 PKCE is refused
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['envmanager-test-provider-cookie-key'] },
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log('ready');
});
