import { cpuByLabel, cpuByProcess, parsePerfScript } from '../../bench/lib/perf-script.ts';

const NODE = '/opt/node/bin/node';
/** The code images `perf inject --jit` writes from a service's jitdump. */
const jitted = (n: number) => `/app/bench/profiles/jit/jitted-100-${n}.so`;

/**
 * `perf script -F pid,tid,comm,ip,sym,dso` of `perf inject --jit`'s output as
 * perf prints it: a gateway's main thread in its JavaScript (pg under our
 * append), in a V8 built-in under our code, in the kernel under ioredis, in
 * V8's scavenger with no JavaScript on the stack, and one of its GC threads;
 * two PostgreSQL backends; an idle CPU.
 */
const SCRIPT = `MainThread 100/100 
\t    7f00000010 JS:*'addFields /app/node_modules/pg/lib/result.js:82:12 (${jitted(1)})
\t    7f00000020 JS:+'append file:///app/dist/services/eventstore/postgres-event-store.js:90:5 (${jitted(2)})
\t    7f00000030 JS:^ file:///app/dist/services/gateway/routes/commands.js:44:9 (${jitted(3)})
\t          16a34fb Builtins_RunMicrotasks (${NODE})

MainThread 100/100 
\t    7f00000060 Builtin:KeyedLoadIC_Megamorphic (${jitted(6)})
\t    7f00000070 JS:*'evolveOrderRow file:///app/dist/services/readmodels/orders/orders-fold.js:16:31 (${jitted(7)})

MainThread 100/100 
\tffffffff81000001 _raw_spin_unlock_irqrestore ([kernel.kallsyms])
\tffffffff81000002 tcp_sendmsg ([kernel.kallsyms])
\t          d4ad7 __GI___writev (/usr/lib/x86_64-linux-gnu/libc.so.6)
\t    7f00000040 JS:*'Socket._writeGeneric node:net:1293:42 (${jitted(4)})
\t    7f00000050 JS:*'sendCommand /app/node_modules/ioredis/built/Redis.js:338:16 (${jitted(5)})

MainThread 100/100 
\t          2000001 v8::internal::Scavenger::ScavengeObject<v8::internal::FullHeapObjectSlot> (${NODE})
\t          2000002 v8::internal::ScavengerCollector::CollectGarbage (${NODE})

V8Worker 100/103 
\t          2000003 v8::internal::ConcurrentMarking::RunMajor (${NODE})

postgres 200/200 
\t          5000001 ExecInterpExpr (/usr/lib/postgresql/15/bin/postgres)

postgres 201/201 
\tffffffff81000003 do_fsync ([kernel.kallsyms])

swapper     0/0 
\tffffffff81000004 default_idle ([kernel.kallsyms])
`;

test('given perf script text, when parsed, then each sample has its process and its frames innermost first', () => {
  const samples = parsePerfScript(SCRIPT);
  expect(samples).toHaveLength(8);
  expect(samples[0]).toMatchObject({ pid: 100, comm: 'MainThread' });
  expect(samples[0]?.frames.map(({ dso }) => dso)).toEqual([jitted(1), jitted(2), jitted(3), NODE]);
  expect(samples[2]?.frames[0]).toEqual({ symbol: '_raw_spin_unlock_irqrestore', dso: '[kernel.kallsyms]' });
  expect(samples[4]).toMatchObject({ pid: 100, comm: 'V8Worker' });
  expect(samples[7]).toMatchObject({ pid: 0, comm: 'swapper' });
});

test('given a process, when told, then its threads count together, each sample where its innermost frame ran and in the package of its innermost JavaScript', () => {
  const [gateway, ...others] = cpuByProcess(parsePerfScript(SCRIPT));
  expect(gateway).toMatchObject({ pid: 100, label: 'gateway', samples: 5 });
  expect(Object.fromEntries(gateway!.places.map(({ key, samples }) => [key, samples]))).toEqual({
    'JavaScript (JIT code)': 1,
    'V8 built-ins': 1,
    kernel: 1,
    GC: 2,
  });
  expect(Object.fromEntries(gateway!.groups.map(({ key, samples }) => [key, samples]))).toEqual({
    pg: 1,
    ours: 1,
    'node internals': 1,
    'no JavaScript on the stack': 2,
  });
  expect(others.map(({ label }) => label).sort()).toEqual(['idle', 'postgres', 'postgres']);
});

test('given several processes of one command, when summed by label, then they make one row', () => {
  const rows = cpuByLabel(cpuByProcess(parsePerfScript(SCRIPT)));
  expect(rows).toEqual([
    { label: 'gateway', processes: 1, samples: 5 },
    { label: 'postgres', processes: 2, samples: 2 },
    { label: 'idle', processes: 1, samples: 1 },
  ]);
});
