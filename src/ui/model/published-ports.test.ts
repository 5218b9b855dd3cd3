import { describe, expect, it } from 'vitest';
import { publishedPorts } from './published-ports.ts';

describe('publishedPorts', () => {
  it('reads docker ps Ports: tcp with a public port, once per container port', () => {
    expect(
      publishedPorts({
        Ports: [
          { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
          { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
          { PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
          { PrivatePort: 443, Type: 'tcp' }, // exposed only
        ] as never,
      }),
    ).toEqual([{ containerPort: 80, hostPort: 8080 }]);
  });

  it('reads inspect NetworkSettings.Ports, skipping exposed-only (null) and udp', () => {
    expect(
      publishedPorts({ NetworkSettings: { Ports: { '3000/tcp': [{ HostIp: '0.0.0.0', HostPort: '3000' }] as never, '80/tcp': [{ HostIp: '', HostPort: '8080' }] as never, '9000/tcp': null, '53/udp': [{ HostPort: '53' }] } } }),
    ).toEqual([{ containerPort: 80, hostPort: 8080 }, { containerPort: 3000, hostPort: 3000 }]);
    expect(publishedPorts({})).toEqual([]);
  });
});
