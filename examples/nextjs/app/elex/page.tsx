'use client';
// ELEX needs Web Workers: the panel is a client component that is never
// rendered on the server.
import dynamic from 'next/dynamic';

const ElexPanel = dynamic(() => import('./ElexPanel'), { ssr: false });

export default function Page() {
  return <ElexPanel />;
}
