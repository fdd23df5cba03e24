// What this browser keeps for a user between page loads (never tokens): drafts per conversation
// and messages waiting to be sent. All keys start with parley.<kind>.<user id>.
const draftKey = (userId: string, conversationId: string) => `parley.draft.${userId}.${conversationId}`;

export function loadDraft(userId: string, conversationId: string): string {
  try {
    return localStorage.getItem(draftKey(userId, conversationId)) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(userId: string, conversationId: string, text: string): void {
  try {
    if (text) localStorage.setItem(draftKey(userId, conversationId), text);
    else localStorage.removeItem(draftKey(userId, conversationId));
  } catch {
    // storage full or refused: the draft lives while the page does
  }
}

// Sign-out: nothing of this user stays in the browser.
export function forgetUserData(userId: string): void {
  const doomed: string[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key && /^parley\.[a-z]+\./.test(key) && key.split('.')[2] === userId) doomed.push(key);
  }
  doomed.forEach((key) => localStorage.removeItem(key));
}
