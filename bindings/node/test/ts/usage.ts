// Compiled with tsc --strict against the installed package's index.d.ts (test.sh): the
// documented usage type-checks, and misuse does not.
import { Client, GetAvatarError, type Avatar, type AvatarImage, type BatchEntry } from 'getavatar';

async function main(): Promise<void> {
  const client = new Client({ apiUrl: 'https://3100.api.green-api.com', idInstance: '3100000001', apiTokenInstance: 'x', timeoutMs: 5000, proxy: 'direct', trust: 'bundled' });
  const env = Client.fromEnv({ rateLimit: 5, language: 'ru' });
  const ac = new AbortController();
  try {
    const a: Avatar = await client.getAvatar('10000000', { signal: ac.signal });
    const available: boolean | null = a.available;
    const list: BatchEntry[] = await client.getAvatars(['10000000', '-10000000000000']);
    for (const e of list) {
      if (e.ok) console.log(e.chatId, e.avatar.url);
      else console.log(e.chatId, e.error.code, e.error.httpStatus);
    }
    const saved: Avatar = await client.downloadAvatar('10000000', '/tmp/a.jpg', { signal: AbortSignal.timeout(10_000) });
    const img: AvatarImage = await client.avatarBytes('10000000');
    const bytes: Buffer = img.data;
    console.log(available, saved.url, bytes.length, img.contentType);
    const pace: number = client.rate;
    console.log(pace);
    client.setLanguage('ru-RU');
    client.setLanguage(null);
  } catch (e) {
    if (e instanceof GetAvatarError) {
      const s: string = e.status;
      console.log(s, e.code, e.httpStatus);
    }
  } finally {
    client.close();
    await env[Symbol.asyncDispose]();
  }
  // @ts-expect-error: the language is a tag, not a number
  client.setLanguage(7);
  // @ts-expect-error: rate is read-only
  client.rate = 5;
  // @ts-expect-error: chatId must be a string
  void client.getAvatar(10000000);
  // @ts-expect-error: the credentials are required
  void new Client({ apiUrl: 'https://x' });
  // @ts-expect-error: fromEnv takes no credentials
  void Client.fromEnv({ apiTokenInstance: 'x' });
  // @ts-expect-error: trust is "system" or "bundled"
  void new Client({ apiUrl: 'a', idInstance: '1', apiTokenInstance: 'x', trust: 'all' });
}
void main;
