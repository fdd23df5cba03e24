import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { fakeChat, Providers } from '../../../testing/providers';
import { Composer } from './composer';

beforeEach(() => localStorage.clear());

describe('Composer', () => {
  it('sends on Enter, makes a new line on Shift+Enter, and empties itself', async () => {
    const chat = fakeChat();
    render(<Providers chat={chat}><Composer conversationId="c1" /></Providers>);
    const box = screen.getByLabelText('Message');
    await userEvent.type(box, 'first line{Shift>}{Enter}{/Shift}second line');
    expect(box).toHaveValue('first line\nsecond line');
    expect(chat.send).not.toHaveBeenCalled();
    await userEvent.type(box, '{Enter}');
    expect(chat.send).toHaveBeenCalledWith('c1', 'first line\nsecond line');
    expect(box).toHaveValue('');
  });

  it('keeps a draft per conversation across remounts (navigation, reloads)', async () => {
    const chat = fakeChat();
    const first = render(<Providers chat={chat}><Composer conversationId="c1" /></Providers>);
    await userEvent.type(screen.getByLabelText('Message'), 'half-written');
    first.unmount();
    render(<Providers chat={chat}><Composer conversationId="c2" /></Providers>).unmount();
    render(<Providers chat={chat}><Composer conversationId="c1" /></Providers>);
    expect(screen.getByLabelText('Message')).toHaveValue('half-written');
    expect(chat.send).not.toHaveBeenCalled();
  });

  it('refuses a message over 4000 characters and says by how much, in French too', async () => {
    const chat = fakeChat();
    localStorage.setItem('parley.draft.me.c1', 'é'.repeat(4002));
    render(<Providers chat={chat} locale="fr"><Composer conversationId="c1" /></Providers>);
    expect(screen.getByRole('alert')).toHaveTextContent('2 caractères de trop');
    expect(screen.getByRole('button', { name: 'Envoyer' })).toBeDisabled();
  });
});
