import Link from 'next/link';

export default function Home() {
  return (
    <p>
      <Link href="/elex">ELEX</Link> runs on a page of its own, with the cross-origin isolation headers.
    </p>
  );
}
