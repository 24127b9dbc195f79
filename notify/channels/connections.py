"""HTTP connections only to addresses that were checked, so DNS rebinding has nothing to rebind.

Each new connection resolves its host once (`notify.targets.checked_addresses`): every address
is checked, and the connection goes to those addresses, never to the name again. A name that
answers a public address to a check and 127.0.0.1 to the connection is therefore refused, or
reached at the public address: never at the other. The host of the URL still gives the Host
header, the TLS server name and the certificate check, and the pool keeps connections per
host, so the receiver sees nothing different.

`deliver_all` takes only a `CheckedClient`; httpx (0.28) takes no network backend, so the
client's transport builds its connection pool again with one.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from functools import partial

import anyio
import httpcore
import httpx

from partnerflow.notify.targets import Resolver, checked_addresses, resolve

Verify = ssl.SSLContext | str | bool
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own default


class CheckedNetwork(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the checked addresses of a host, in the order they resolved.

    `network` opens them (httpcore's AnyIO backend unless a test hands another).
    """

    def __init__(self, *, allow_hosts: frozenset[str] = frozenset(), resolver: Resolver = resolve,
                 network: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_hosts = allow_hosts
        self.resolver = resolver
        self.network = network or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.AsyncNetworkStream:
        """Raises notify.targets.InvalidTarget (through httpx, unchanged) for a refused host."""
        failure: Exception | None = None
        for address in await self.addresses(host, timeout):
            try:
                return await self.network.connect_tcp(str(address), port, timeout=timeout, local_address=local_address,
                                                      socket_options=socket_options)
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError(f"no address to connect to for {host}")

    async def addresses(self, host: str, timeout: float | None):
        check = partial(checked_addresses, host, allow_hosts=self.allow_hosts, resolver=self.resolver)
        try:
            with anyio.fail_after(timeout):
                return await anyio.to_thread.run_sync(check, abandon_on_cancel=True)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout} s") from None

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("a notification is never sent over a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that connects through a CheckedNetwork."""

    def __init__(self, network: CheckedNetwork, *, verify: Verify = True, limits: httpx.Limits = DEFAULT_LIMITS
                 ) -> None:
        super().__init__(verify=verify, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=network)


class CheckedClient(httpx.AsyncClient):
    """An httpx.AsyncClient that connects only to checked addresses; never follows redirects or proxies.

    `allow_hosts`: hosts (names or IP literals) the operator allows although they are not public;
    `resolver` and `network`: name resolution and the opening of connections, for tests.
    """

    def __init__(self, *, allow_hosts: frozenset[str] = frozenset(), resolver: Resolver = resolve,
                 network: httpcore.AsyncNetworkBackend | None = None, verify: Verify = True,
                 limits: httpx.Limits = DEFAULT_LIMITS, **options) -> None:
        checked = CheckedNetwork(allow_hosts=allow_hosts, resolver=resolver, network=network)
        super().__init__(transport=CheckedTransport(checked, verify=verify, limits=limits), trust_env=False,
                         follow_redirects=False, **options)
