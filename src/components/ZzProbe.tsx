import { useState } from 'preact/hooks';
export default function ZzProbe({ label }: { label: string }) {
  const [n, setN] = useState(0);
  return <button type="button" onClick={() => setN(n + 1)}>{label}: {n}</button>;
}
